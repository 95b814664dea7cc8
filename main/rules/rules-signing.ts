// The agent's side of the jointly signed ground rules: check the vendor's
// proposal, countersign it with the device key, and verify a countersigned
// document before it is put in force (issue 3, DESIGN "Ground rules").
import type { GroundRules } from '../../protocol/ground-rules';
import {
  CountersignedRules,
  customerSignedPayload,
  SignedRulesProposal,
  vendorSignedPayload,
} from '../../protocol/ground-rules';
import { AssentError } from '../../protocol/errors';
import { SIGNING_DOMAINS } from '../../protocol/identity';
import { signPayload, verifyPayload, type SigningKeyPair } from '../../platform/signing';
import { rulesFingerprint, rulesIssueLines } from '../../platform/ground-rules';

/** The keys a document is checked against: the vendor key pinned at install and this agent's device key. */
export interface RulesTrust {
  readonly vendorPublicKey: string;
  readonly devicePublicKey: string;
  /** Clock for `validUntil` (tests inject one). */
  readonly now?: () => number;
}

function kindOf(doc: unknown): unknown {
  return typeof doc === 'object' && doc !== null ? (doc as { kind?: unknown }).kind : undefined;
}

function invalid(
  what: string,
  error: { issues: Array<{ path: PropertyKey[]; message: string }> },
): AssentError {
  const issues = rulesIssueLines(error, 5);
  return new AssentError(
    'RULES_INVALID',
    `${what} does not match the schema: ${issues.join('; ')}`,
    {
      details: { issues },
    },
  );
}

/** Checks the vendor's signature on a proposal (or on the proposal inside a countersigned document). */
export function verifyRulesProposal(doc: unknown, vendorPublicKey: string): SignedRulesProposal {
  const kind = kindOf(doc);
  if (kind === 'assent-ground-rules')
    throw new AssentError('RULES_UNSIGNED', 'These ground rules are not signed by the vendor.');
  const parsed = SignedRulesProposal.extend({
    kind: SignedRulesProposal.shape.kind.or(CountersignedRules.shape.kind),
  }).safeParse(doc);
  if (!parsed.success) throw invalid('The signed ground rules', parsed.error);
  const { rules, vendorSignature } = parsed.data;
  if (vendorSignature.publicKey !== vendorPublicKey)
    throw new AssentError(
      'RULES_OTHER_VENDOR',
      `The rules are signed by ${vendorSignature.signer} with a key this agent does not trust.`,
    );
  const { signature, ...signed } = vendorSignature;
  if (
    !verifyPayload(
      vendorPublicKey,
      SIGNING_DOMAINS.groundRulesVendor,
      vendorSignedPayload(rules, signed),
      signature,
    )
  )
    throw new AssentError(
      'RULES_SIGNATURE_INVALID',
      "The vendor's signature on the rules does not verify: the document was changed after signing.",
    );
  return { kind: 'assent-signed-ground-rules', rules, vendorSignature };
}

/** Countersigns a proposal with the device key: the customer admin's agreement. */
export function countersignRules(
  proposal: SignedRulesProposal,
  deviceKey: SigningKeyPair,
  admin: string,
  now: Date = new Date(),
): CountersignedRules {
  const body = {
    admin,
    deviceKey: deviceKey.publicKey,
    signedAt: now.toISOString(),
    fingerprint: rulesFingerprint(proposal.rules),
  };
  const signature = signPayload(
    deviceKey.privateKey,
    SIGNING_DOMAINS.groundRulesCustomer,
    customerSignedPayload(proposal, body),
  );
  return CountersignedRules.parse({
    kind: 'assent-countersigned-ground-rules',
    rules: proposal.rules,
    vendorSignature: proposal.vendorSignature,
    customerSignature: { ...body, signature },
  });
}

/** Verifies a countersigned document: both signatures, both keys, the fingerprint, and expiry. */
export function verifyCountersignedRules(doc: unknown, trust: RulesTrust): CountersignedRules {
  const kind = kindOf(doc);
  if (kind === 'assent-ground-rules')
    throw new AssentError('RULES_UNSIGNED', 'These ground rules are signed by nobody.');
  if (kind === 'assent-signed-ground-rules') {
    verifyRulesProposal(doc, trust.vendorPublicKey);
    throw new AssentError(
      'RULES_NOT_COUNTERSIGNED',
      'These ground rules are signed by the vendor only; the customer admin must accept them on this machine.',
    );
  }
  const parsed = CountersignedRules.safeParse(doc);
  if (!parsed.success) throw invalid('The ground rules in force', parsed.error);
  const rules = parsed.data;
  verifyRulesProposal(rules, trust.vendorPublicKey);
  const { signature, ...countersigned } = rules.customerSignature;
  if (countersigned.deviceKey !== trust.devicePublicKey)
    throw new AssentError(
      'RULES_OTHER_DEVICE',
      'These ground rules were countersigned on another machine.',
    );
  if (
    countersigned.fingerprint !== rulesFingerprint(rules.rules) ||
    !verifyPayload(
      trust.devicePublicKey,
      SIGNING_DOMAINS.groundRulesCustomer,
      customerSignedPayload(rules, countersigned),
      signature,
    )
  )
    throw new AssentError(
      'RULES_SIGNATURE_INVALID',
      "The customer's countersignature does not verify: the document was changed after signing.",
    );
  assertNotExpired(rules.rules, (trust.now ?? Date.now)());
  return rules;
}

/** Throws RULES_EXPIRED when the rules passed their validUntil. */
export function assertNotExpired(rules: GroundRules, now: number): void {
  if (rules.validUntil !== undefined && now > Date.parse(rules.validUntil))
    throw new AssentError('RULES_EXPIRED', `These ground rules expired at ${rules.validUntil}.`);
}
