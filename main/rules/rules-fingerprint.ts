// The fingerprint of a ground rules body: what both people compare at the
// start of every session and what the admin's countersignature names.
// console/rules/rules-signing.ts computes the same (a test keeps them equal).
import { createHash } from 'node:crypto';
import type { GroundRules } from '../../protocol/ground-rules';
import { canonicalJson } from '../../protocol/identity';

/** sha256 of the canonical JSON of the rules body, in groups of 4 hex separated by spaces. */
export function rulesFingerprint(rules: GroundRules): string {
  const hex = createHash('sha256').update(canonicalJson(rules)).digest('hex');
  return hex.match(/.{4}/g)!.join(' ');
}
