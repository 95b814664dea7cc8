// The vendor's side of the jointly signed ground rules: validate a rules
// document and sign it as a proposal the customer admin can countersign.
import { createHash } from 'node:crypto';
import { GroundRules, SignedRulesProposal, vendorSignedPayload } from '../../protocol/ground-rules';
import { AssentError } from '../../protocol/errors';
import { canonicalJson, SIGNING_DOMAINS } from '../../protocol/identity';
import { signPayload, type SigningKeyPair } from '../../platform/signing';

/**
 * The fingerprint both people compare: sha256 of the canonical JSON of the
 * rules body in groups of 4 hex. Same as main/rules/rules-fingerprint.ts
 * (console cannot import main; a test keeps the two equal).
 */
export function rulesFingerprint(rules: GroundRules): string {
  const hex = createHash('sha256').update(canonicalJson(rules)).digest('hex');
  return hex.match(/.{4}/g)!.join(' ');
}

/** Validates a rules body; RULES_INVALID lists what is wrong, field by field. */
export function parseGroundRules(doc: unknown): GroundRules {
  const parsed = GroundRules.strict().safeParse(doc);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 20)
    .map((i) => `${i.path.map(String).join('.') || '(document)'}: ${i.message}`);
  throw new AssentError(
    'RULES_INVALID',
    `The ground rules are not valid:\n  ${issues.join('\n  ')}`,
    {
      details: { issues },
    },
  );
}

/** Signs rules as the vendor: the proposal `assent-agent rules accept` takes. */
export function signRulesProposal(
  rules: GroundRules,
  vendorKey: SigningKeyPair,
  signer: string,
  now: Date = new Date(),
): SignedRulesProposal {
  const body = parseGroundRules(rules);
  const unsigned = { signer, publicKey: vendorKey.publicKey, signedAt: now.toISOString() };
  const signature = signPayload(
    vendorKey.privateKey,
    SIGNING_DOMAINS.groundRulesVendor,
    vendorSignedPayload(body, unsigned),
  );
  return SignedRulesProposal.parse({
    kind: 'assent-signed-ground-rules',
    rules: body,
    vendorSignature: { ...unsigned, signature },
  });
}
