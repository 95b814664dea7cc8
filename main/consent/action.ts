// An action as the consent engine sees it: a canonical description and the
// digest that grants are bound to (issue 3: kind + canonical target +
// parameters + content hash for writes).
import { createHash } from 'node:crypto';
import type { ActionKind, ActionPreview } from '../../protocol/consent';
import { canonicalJson } from '../../protocol/identity';

/** JSON values allowed in canonical parameters. */
export type CanonicalValue =
  string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

/** A described action: everything consent is decided on. Built by a domain's `describe`, never by the engineer. */
export interface ActionDescription {
  readonly kind: ActionKind;
  /** Canonical target: absolute canonical path, command line, or fix id. */
  readonly target: string;
  /** Canonical parameters (offsets, modes, destination...). */
  readonly params: { readonly [key: string]: CanonicalValue };
  /** sha256 hex of the content to be written, for writes. */
  readonly contentHash?: string;
  /** What allow-similar grants and standing consents match on. */
  readonly match: {
    /** Canonical paths the action touches (all must be covered). */
    readonly paths?: readonly string[];
    /** Parsed command names (terminal); all must be covered. */
    readonly commands?: readonly string[];
    readonly product?: string;
  };
  /** What the approver is shown (without `digest`; the engine adds it). */
  readonly preview: Omit<ActionPreview, 'digest'>;
}

/** The digest a grant is bound to: sha256 over the canonical JSON of kind, target, params and content hash. */
export function actionDigest(
  action: Pick<ActionDescription, 'kind' | 'target' | 'params' | 'contentHash'>,
): string {
  const body = canonicalJson({
    kind: action.kind,
    target: action.target,
    params: action.params,
    contentHash: action.contentHash ?? null,
  });
  return createHash('sha256').update(body).digest('hex');
}
