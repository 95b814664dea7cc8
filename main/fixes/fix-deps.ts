// What the fix handlers of a session need, and the two things they derive
// from it: the trust a package is checked against, and "who approved".
import type { AuditSink } from '../audit/audit-sink';
import type { DecisionBasis } from '../../protocol/consent';
import type { GroundRules } from '../../protocol/ground-rules';
import type { PeerLink } from '../session/peer-link';
import type { FixTrustBase } from './fix-types';

/** What registerFixActions needs (EffectiveRules satisfies `rules`). */
export interface FixDeps {
  readonly dataDir: string;
  readonly link: PeerLink;
  readonly rules: {
    readonly maxWriteBytes: number;
    readonly rules: Pick<GroundRules, 'fixSigners' | 'customer'>;
  };
  readonly audit: AuditSink;
  /** This agent's device public key (raw Ed25519, base64url): device-bound fixes must name it. */
  readonly deviceKey: string;
  /** This agent's version (semver), compared with a fix's minAgentVersion. */
  readonly agentVersion: string;
  readonly now?: () => Date;
}

/** The trust of a session: the rules' fix signers and customer, this device and agent version. */
export function trustOf(deps: FixDeps): FixTrustBase {
  return {
    signers: deps.rules.rules.fixSigners,
    customer: deps.rules.rules.customer,
    deviceKey: deps.deviceKey,
    agentVersion: deps.agentVersion,
    ...(deps.now ? { now: deps.now } : {}),
  };
}

/** "who approved", as `fix list` shows it. */
export function approvedBy(basis: DecisionBasis, link: PeerLink): string {
  const rule = basis.rule ? ` (${basis.rule})` : '';
  let engineer = '';
  try {
    engineer = `; requested by ${link.engineer.name} <${link.engineer.email}>`;
  } catch {
    engineer = '';
  }
  return `${basis.source}${rule}${engineer}`.slice(0, 500);
}
