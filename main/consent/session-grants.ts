// The approver's allow-similar grants of one session: scope, lifetime, uses,
// and the action grants issued under each (so revoking stops them).
import { randomUUID } from 'node:crypto';
import type { ConsentScope, GrantInfo } from '../../protocol/consent';
import type { PathPlatform } from '../rules/path-scope';
import type { ActionDescription } from './action';
import { scopeCovers } from './consent-scope';

/** One allow-similar grant. */
export interface SessionGrant {
  readonly id: string;
  readonly scope: ConsentScope;
  readonly grantedAt: number;
  readonly expiresAt: number | undefined;
  readonly approver: string;
  uses: number;
  /** Revokers of the action grants issued under it. */
  readonly issued: Set<(reason: unknown) => void>;
}

/** The table of live session grants. */
export class SessionGrants {
  private readonly live = new Map<string, SessionGrant>();

  constructor(
    private readonly now: () => number,
    private readonly platform: PathPlatform,
  ) {}

  /** Adds a grant from an allow-session decision; its first use is the prompted action. */
  add(scope: ConsentScope, approver: string): SessionGrant {
    const grantedAt = this.now();
    const grant: SessionGrant = {
      id: `g-${randomUUID()}`,
      scope,
      grantedAt,
      expiresAt: scope.minutes === undefined ? undefined : grantedAt + scope.minutes * 60_000,
      approver,
      uses: 1,
      issued: new Set(),
    };
    this.live.set(grant.id, grant);
    return grant;
  }

  private usable(grant: SessionGrant): boolean {
    if (grant.expiresAt !== undefined && this.now() >= grant.expiresAt) return false;
    return grant.scope.maxUses === undefined || grant.uses < grant.scope.maxUses;
  }

  /** A live grant that covers the action, with a use counted; undefined when none does. */
  use(action: ActionDescription): SessionGrant | undefined {
    this.prune();
    for (const grant of this.live.values()) {
      if (!this.usable(grant) || !scopeCovers(grant.scope, action, this.platform)) continue;
      grant.uses += 1;
      return grant;
    }
    return undefined;
  }

  /**
   * Drops grants whose time is up or whose uses are spent, once no action
   * issued under them still runs (until then the approver can still revoke
   * them to stop it); true when any went.
   */
  prune(): boolean {
    let changed = false;
    for (const [id, grant] of this.live)
      if (!this.usable(grant) && grant.issued.size === 0) {
        this.live.delete(id);
        changed = true;
      }
    return changed;
  }

  get(id: string): SessionGrant | undefined {
    return this.live.get(id);
  }

  /** Removes a grant and aborts every action grant issued under it. */
  remove(id: string, reason: unknown): SessionGrant | undefined {
    const grant = this.live.get(id);
    if (!grant) return undefined;
    this.live.delete(id);
    for (const revoke of grant.issued) revoke(reason);
    grant.issued.clear();
    return grant;
  }

  /** Removes every grant (session end). */
  clear(reason: unknown): void {
    for (const id of [...this.live.keys()]) this.remove(id, reason);
  }

  /** The live grants as the approver and engineer see them. */
  list(): GrantInfo[] {
    this.prune();
    return [...this.live.values()].map(info);
  }
}

/** The public view of a session grant. */
export function info(grant: SessionGrant): GrantInfo {
  return {
    id: grant.id,
    scope: grant.scope,
    grantedAt: grant.grantedAt,
    ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }),
    uses: grant.uses,
  };
}
