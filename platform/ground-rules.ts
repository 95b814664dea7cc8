// The pure parts of the jointly signed ground rules that the agent and the
// console share (console may not import main): the fingerprint both people
// compare, and the field-by-field lines of a schema refusal.
import { createHash } from 'node:crypto';
import type { GroundRules } from '../protocol/ground-rules';
import { canonicalJson } from '../protocol/identity';

/** sha256 of the canonical JSON of the rules body, in groups of 4 hex separated by spaces. */
export function rulesFingerprint(rules: GroundRules): string {
  const hex = createHash('sha256').update(canonicalJson(rules)).digest('hex');
  return hex.match(/.{4}/g)!.join(' ');
}

/** The first `max` schema issues of a rules document, one `field.path: message` line each. */
export function rulesIssueLines(
  error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> },
  max: number,
): string[] {
  return error.issues
    .slice(0, max)
    .map((i) => `${i.path.map(String).join('.') || '(document)'}: ${i.message}`);
}
