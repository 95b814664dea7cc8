// Where grants come from. Only the consent engine may import this module
// (eslint.config.js forbids it elsewhere), and even code that reaches the
// Grant class cannot make a genuine one: the constructor wants a token that
// never leaves this module, and assertGrantFor checks the WeakSet of grants
// minted here, so Object.create(Grant.prototype) or a look-alike object fails.
import type { ActionKind, DecisionBasis } from '../../protocol/consent';

const MINT_TOKEN: unique symbol = Symbol('assent.grant.mint');
const minted = new WeakSet<object>();

/** What a grant is made from. */
export interface GrantInit {
  readonly id: string;
  readonly digest: string;
  readonly kind: ActionKind;
  readonly basis: DecisionBasis;
  /** The session grant it was issued under, if any. */
  readonly sessionGrantId?: string;
}

/** Permission to run one described action; bound to that action's digest. */
export class Grant {
  readonly id: string;
  /** The digest of the action it allows (see actionDigest). */
  readonly digest: string;
  readonly kind: ActionKind;
  readonly basis: DecisionBasis;
  readonly sessionGrantId: string | undefined;
  /** Aborted when the session grant behind it is revoked, the request is cancelled, or the session ends. */
  readonly signal: AbortSignal;

  constructor(token: symbol, init: GrantInit, signal: AbortSignal) {
    if (token !== MINT_TOKEN) throw new TypeError('Grants are created by the consent engine only.');
    this.id = init.id;
    this.digest = init.digest;
    this.kind = init.kind;
    this.basis = init.basis;
    this.sessionGrantId = init.sessionGrantId;
    this.signal = signal;
    Object.freeze(this);
    minted.add(this);
  }
}

/** A grant and the switch that revokes it. */
export interface MintedGrant {
  readonly grant: Grant;
  readonly revoke: (reason: unknown) => void;
}

/** Creates a genuine grant. Consent engine only. */
export function mintGrant(init: GrantInit): MintedGrant {
  const controller = new AbortController();
  const grant = new Grant(MINT_TOKEN, init, controller.signal);
  return { grant, revoke: (reason) => controller.abort(reason) };
}

/** True when `value` is a grant this module minted. */
export function isGenuineGrant(value: unknown): value is Grant {
  return typeof value === 'object' && value !== null && minted.has(value);
}
