// The consent engine (issue 3, DESIGN "Consent"): every action goes through
// the ground rules and machine policy first (deny wins), then a standing
// consent, then a live session grant, else a prompt to the approver. Only
// this module mints grants. Decisions are written to the audit log before a
// grant is handed out, so an action never runs unrecorded.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  ActionPreview,
  ConsentDecision,
  DecisionBasis,
  GrantInfo,
} from '../../protocol/consent';
import { AssentError } from '../../protocol/errors';
import type { EffectiveRules } from '../rules/effective-rules';
import { actionDigest, type ActionDescription } from './action';
import type {
  AuditSink,
  ConsentAuditEvent,
  ConsentEngineOptions,
  ConsentNotice,
  ConsentPrompt,
} from './consent-types';
import { scopeCovers } from './consent-scope';
import { mintGrant, type Grant, type GrantInit } from './grant-mint';
import { PromptQueue, type Settled } from './prompt-queue';
import { info, SessionGrants } from './session-grants';

export type {
  AuditSink,
  ConsentAuditEvent,
  ConsentEngineOptions,
  ConsentNotice,
  ConsentPrompt,
  PromptOutcome,
  PromptResolution,
} from './consent-types';

/**
 * Why a finished action's grant is aborted. One shared error rather than a
 * new one per action: constructing an Error captures a stack trace, which
 * was the largest single item of the engine's own time per action in
 * bench/consent.ts; nobody reads this reason's stack.
 */
const GRANT_SPENT = new AssentError('GRANT_REVOKED', 'The action finished; its grant is spent.');

/**
 * Events: `prompt` (ConsentPrompt), `prompt-resolved` (PromptResolution),
 * `notice` (ConsentNotice), `grants-changed` (GrantInfo[]), `grant-revoked` (GrantInfo).
 */
export class ConsentEngine extends EventEmitter {
  readonly sessionId: string;
  readonly rules: EffectiveRules;
  private readonly audit: AuditSink;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly sessionStartedAt: number;
  private readonly prompts: PromptQueue;
  private readonly requests = new Set<string>();
  /** Revokers of grants handed out and not yet finished, by request id. */
  private readonly running = new Map<
    string,
    { revoke: (reason: unknown) => void; sessionGrantId?: string }
  >();
  private readonly sessionGrants: SessionGrants;
  private closed: string | null = null;

  constructor(options: ConsentEngineOptions) {
    super();
    this.sessionId = options.sessionId;
    this.rules = options.rules;
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? options.rules.consentTimeoutMs;
    this.sessionStartedAt = options.sessionStartedAt ?? this.now();
    this.sessionGrants = new SessionGrants(this.now, options.rules.platform);
    this.prompts = new PromptQueue(this.now, this.timeoutMs, {
      prompt: (prompt) => this.emit('prompt', prompt),
      resolved: (resolution) => this.emit('prompt-resolved', resolution),
    });
  }

  /** Decides an action; resolves with a grant bound to its digest or throws an AssentError with `details.basis`. */
  async request(
    action: ActionDescription,
    opts: { requestId: string; signal?: AbortSignal },
  ): Promise<Grant> {
    const { requestId } = opts;
    if (this.closed !== null)
      throw new AssentError('CONSENT_SESSION_ENDED', 'The session has ended.');
    if (this.requests.has(requestId) || this.running.has(requestId))
      throw new AssentError(
        'ACTION_DUPLICATE_REQUEST',
        `Request ${requestId} is already in progress.`,
      );
    this.requests.add(requestId);
    try {
      const digest = actionDigest(action);
      const preview: ActionPreview = { ...action.preview, kind: action.kind, digest };
      const requested = this.event('action.requested', 'engineer', {
        requestId,
        kind: action.kind,
        digest,
        target: action.target.slice(0, 1024),
      });
      // A rule, a standing consent or a session grant decides at once: the
      // request and its decision go to disk in one write. A prompt is
      // recorded as requested before the approver sees it.
      let settled = this.decideAtOnce(action);
      if (settled) {
        await this.audit.appendAll([
          requested,
          this.decidedEvent(settled, requestId, digest, action),
        ]);
        if (settled.allowed && settled.how === 'standing-consent')
          this.emit('notice', { requestId, preview, basis: settled.basis } satisfies ConsentNotice);
        if (settled.allowed && settled.how === 'session-grant')
          this.emit('grants-changed', this.grants());
      } else {
        await this.audit.append(requested);
        settled = await this.prompts.ask(action, preview, requestId, opts.signal);
        await this.audit.append(this.decidedEvent(settled, requestId, digest, action));
      }
      if (!settled.allowed)
        throw new AssentError(settled.code, settled.message, { details: { basis: settled.basis } });
      if (this.closed !== null || opts.signal?.aborted)
        throw new AssentError(this.closed !== null ? 'CONSENT_SESSION_ENDED' : 'CONSENT_CANCELLED');
      return this.issue(requestId, {
        id: `a-${randomUUID()}`,
        digest,
        kind: action.kind,
        basis: settled.basis,
        sessionGrantId: settled.sessionGrantId,
      });
    } finally {
      this.requests.delete(requestId);
    }
  }

  /**
   * The decision of the rules, a standing consent or a live session grant
   * (whose use it counts); null when the approver must be asked. Emits
   * nothing: the notice goes out once the decision is on disk.
   */
  private decideAtOnce(action: ActionDescription): Settled | null {
    const verdict = this.rules.evaluate(action, {
      now: this.now(),
      sessionStartedAt: this.sessionStartedAt,
    });
    if (!verdict.allowed)
      return {
        allowed: false,
        basis: verdict.basis,
        code: 'CONSENT_DENIED_BY_RULE',
        message: `Denied by ${verdict.basis.source === 'machine-policy' ? 'the machine policy' : 'the ground rules'}: ${verdict.basis.rule ?? ''}`,
      };
    if (verdict.standing) {
      const index = this.rules.standingConsents.indexOf(verdict.standing);
      const basis: DecisionBasis = {
        source: 'standing-consent',
        rule: `standingConsents[${index}]: ${verdict.standing.kind}${verdict.standing.under ? ` under ${verdict.standing.under}` : ''}${verdict.standing.command ? ` ${verdict.standing.command}` : ''}`.slice(
          0,
          500,
        ),
      };
      return { allowed: true, basis, how: 'standing-consent' };
    }
    const sessionGrant = this.sessionGrants.use(action);
    if (sessionGrant)
      return {
        allowed: true,
        basis: { source: 'session-grant', rule: sessionGrant.id },
        how: 'session-grant',
        sessionGrantId: sessionGrant.id,
      };
    return null;
  }

  private decidedEvent(
    settled: Settled,
    requestId: string,
    digest: string,
    action: ActionDescription,
  ): ConsentAuditEvent {
    return this.event(
      'action.decided',
      settled.basis.source === 'approver' ? 'approver' : 'agent',
      {
        requestId,
        kind: action.kind,
        digest,
        allowed: settled.allowed,
        how: settled.allowed ? settled.how : settled.code,
        basis: settled.basis,
        ...(settled.by === undefined ? {} : { by: settled.by }),
      },
    );
  }

  /** The prompts waiting for the approver, oldest first. */
  pending(): ConsentPrompt[] {
    return this.prompts.list();
  }

  /** The approver's answer to a prompt. An allow-session scope must cover the action and stay inside the rules. */
  decide(promptId: string, decision: ConsentDecision, by: { approver: string }): void {
    const waiting = this.prompts.get(promptId);
    if (!waiting)
      throw new AssentError('CONSENT_PROMPT_UNKNOWN', 'That consent prompt is no longer waiting.');
    const who = `${decision.how} by ${by.approver}`.slice(0, 500);
    let settled: Settled;
    if (decision.how === 'deny') {
      settled = {
        allowed: false,
        basis: {
          source: 'approver',
          rule: decision.reason ? `${who}: ${decision.reason}`.slice(0, 500) : who,
        },
        code: 'CONSENT_DENIED',
        message: decision.reason ? `Denied: ${decision.reason}` : 'The approver denied the action.',
        by: by.approver,
      };
    } else if (decision.how === 'allow-once') {
      settled = {
        allowed: true,
        basis: { source: 'approver', rule: who },
        how: 'allow-once',
        by: by.approver,
      };
    } else {
      if (!scopeCovers(decision.scope, waiting.action, this.rules.platform))
        throw new AssentError(
          'CONSENT_SCOPE_INVALID',
          'The scope does not cover the action it answers.',
        );
      const refusal = this.rules.scopeRefusal(decision.scope);
      if (refusal)
        throw new AssentError(
          'CONSENT_SCOPE_INVALID',
          `The scope reaches beyond the rules: ${refusal.rule ?? refusal.source}`,
          { details: { basis: refusal } },
        );
      const grant = this.sessionGrants.add(decision.scope, by.approver);
      settled = {
        allowed: true,
        basis: { source: 'approver', rule: `${who} (${grant.id})` },
        how: 'allow-session',
        by: by.approver,
        sessionGrantId: grant.id,
      };
    }
    this.prompts.answer(promptId, settled);
    if (decision.how === 'allow-session') this.emit('grants-changed', this.grants());
  }

  /** The live session grants. */
  grants(): GrantInfo[] {
    return this.sessionGrants.list();
  }

  /** Revokes a session grant: no further use, and every action running under it is aborted. */
  revoke(grantId: string): void {
    const grant = this.sessionGrants.remove(
      grantId,
      new AssentError('GRANT_REVOKED', 'The approver revoked the grant.'),
    );
    if (!grant) throw new AssentError('GRANT_UNKNOWN', `No session grant ${grantId}.`);
    for (const [requestId, run] of this.running)
      if (run.sessionGrantId === grantId) this.running.delete(requestId);
    void this.record('grant.revoked', 'approver', {
      grantId,
      kind: grant.scope.kind,
      uses: grant.uses,
    }).catch((err: unknown) => this.emit('audit-failed', err));
    this.emit('grant-revoked', info(grant));
    this.emit('grants-changed', this.grants());
  }

  /** The engineer withdrew a request: a waiting prompt ends as cancelled, a running action is aborted. */
  cancel(requestId: string): void {
    this.prompts.endFor(requestId, 'cancelled', { source: 'cancelled' });
    const run = this.running.get(requestId);
    if (run) {
      this.running.delete(requestId);
      run.revoke(new AssentError('CONSENT_CANCELLED', 'The engineer cancelled the action.'));
    }
  }

  /** The action of `requestId` finished; its grant is spent and no longer tracked. */
  finish(requestId: string): void {
    const run = this.running.get(requestId);
    if (!run) return;
    this.running.delete(requestId);
    run.revoke(GRANT_SPENT);
  }

  /** The session ended: deny everything waiting, abort every grant. Idempotent. */
  close(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    this.prompts.endAll('session-ended', { source: 'session-ended', rule: reason.slice(0, 500) });
    const error = new AssentError('CONSENT_SESSION_ENDED', `The session ended: ${reason}`);
    for (const run of this.running.values()) run.revoke(error);
    this.running.clear();
    this.sessionGrants.clear(error);
    this.emit('grants-changed', []);
  }

  private issue(requestId: string, init: GrantInit): Grant {
    const sessionGrant =
      init.sessionGrantId === undefined ? undefined : this.sessionGrants.get(init.sessionGrantId);
    // Revoked while the decision was being written to the audit log.
    if (init.sessionGrantId !== undefined && !sessionGrant)
      throw new AssentError('GRANT_REVOKED', 'The session grant was revoked.');
    const { grant, revoke } = mintGrant(init);
    const run = {
      revoke,
      ...(init.sessionGrantId === undefined ? {} : { sessionGrantId: init.sessionGrantId }),
    };
    const stop = (reason: unknown): void => revoke(reason);
    sessionGrant?.issued.add(stop);
    grant.signal.addEventListener('abort', () => sessionGrant?.issued.delete(stop), { once: true });
    this.running.set(requestId, run);
    return grant;
  }

  private event(
    type: string,
    actor: 'approver' | 'engineer' | 'agent',
    data: Record<string, unknown>,
  ): ConsentAuditEvent {
    return { type, sessionId: this.sessionId, actor, data };
  }

  private record(
    type: string,
    actor: 'approver' | 'engineer' | 'agent',
    data: Record<string, unknown>,
  ): Promise<unknown> {
    return this.audit.append(this.event(type, actor, data));
  }
}
