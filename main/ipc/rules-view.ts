// The ground rules in force as the window shows them.
import type { RulesView } from '../../protocol/ipc';
import type { RulesInForce } from '../rules/rules-store';

/** Rules, fingerprint and both signatures' who and when. */
export function rulesView(inForce: RulesInForce | null): RulesView {
  if (inForce === null) return null;
  const { document } = inForce;
  return {
    fingerprint: inForce.fingerprint,
    rules: document.rules,
    vendorSigner: document.vendorSignature.signer,
    vendorSignedAt: document.vendorSignature.signedAt,
    admin: document.customerSignature.admin,
    countersignedAt: document.customerSignature.signedAt,
  };
}
