// The vendor's side of the jointly signed ground rules: validate a rules
// document and sign it as a proposal the customer admin can countersign.
import { GroundRules, SignedRulesProposal, vendorSignedPayload } from '../../protocol/ground-rules';
import { AssentError } from '../../protocol/errors';
import { SIGNING_DOMAINS } from '../../protocol/identity';
import { rulesIssueLines } from '../../platform/ground-rules';
import { signPayload, type SigningKeyPair } from '../../platform/signing';

/** Validates a rules body; RULES_INVALID lists what is wrong, field by field. */
export function parseGroundRules(doc: unknown): GroundRules {
  const parsed = GroundRules.strict().safeParse(doc);
  if (parsed.success) return parsed.data;
  const issues = rulesIssueLines(parsed.error, 20);
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
