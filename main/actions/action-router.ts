// The agent's action router (issue 3): the one place that turns engineer
// messages into handler calls. Every request is validated against the kind's
// schema, described by its domain, decided by the consent engine, and only
// then executed, with the grant checked first. Handlers are held privately:
// nothing else can reach `execute`, so no handler runs without a grant.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { ActionKind } from '../../protocol/consent';
import { AssentError, isAssentError, type ErrorCode } from '../../protocol/errors';
import { canonicalJson } from '../../protocol/identity';
import { ActionRequestMessage } from '../../protocol/wire/actions';
import type { ChannelMessage, MessageOf } from '../../protocol/wire/messages';
import { actionDigest, type ActionDescription } from '../consent/action';
import type { AuditSink, ConsentEngine, ConsentPrompt } from '../consent/consent-engine';
import { assertGrantFor, type Grant } from '../consent/grant';
import type { PeerLink } from '../session/peer-link';

/** What a handler's describe gets. */
export interface DescribeContext {
  readonly link: PeerLink;
  readonly requestId: string;
}

/** What a handler's execute may use. */
export interface ExecuteContext extends DescribeContext {
  /** Aborted when the grant is revoked, the request cancelled, or the session ends: stop at once. */
  readonly signal: AbortSignal;
  /** Reports progress to the engineer (throttled to PROGRESS_INTERVAL_MS; the final figure always goes out). */
  progress(done: number, total?: number, stage?: string): void;
  /** The description the grant was minted for. */
  readonly action: ActionDescription;
}

/** One kind's handler, registered by its domain (files, terminal, fixes). */
export interface ActionHandler<P> {
  readonly params: z.ZodType<P>;
  /** Validates and canonicalizes; builds the preview. Must not change anything. */
  describe(params: P, context: DescribeContext): Promise<ActionDescription>;
  execute(grant: Grant, params: P, context: ExecuteContext): Promise<Record<string, unknown>>;
}

/** Where a domain registers its handlers (the ActionRouter). */
export interface ActionRegistry {
  register<P>(kind: ActionKind, handler: ActionHandler<P>): void;
}

/** Messages the router handles; the session hands it these. */
export const ROUTED_MESSAGE_TYPES = [
  'action.request',
  'action.cancel',
  'grant.list-request',
] as const;

/** Progress messages go out at most this often per action (a read of 1 GiB reports thousands of chunks). */
export const PROGRESS_INTERVAL_MS = 100;

const CONSENT_DENIALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CONSENT_DENIED',
  'CONSENT_DENIED_BY_RULE',
  'CONSENT_TIMEOUT',
  'CONSENT_CANCELLED',
  'CONSENT_SESSION_ENDED',
]);

export interface ActionRouterOptions {
  readonly engine: ConsentEngine;
  readonly link: PeerLink;
  readonly audit: AuditSink;
}

/** Routes action messages of one session. */
export class ActionRouter implements ActionRegistry {
  private readonly engine: ConsentEngine;
  private readonly link: PeerLink;
  private readonly audit: AuditSink;
  private readonly handlers = new Map<ActionKind, ActionHandler<unknown>>();
  private readonly inflight = new Map<string, AbortController>();

  constructor(options: ActionRouterOptions) {
    this.engine = options.engine;
    this.link = options.link;
    this.audit = options.audit;
    this.engine.on('prompt', (prompt: ConsentPrompt) => {
      if (!this.inflight.has(prompt.requestId)) return;
      this.send({
        type: 'action.pending',
        requestId: prompt.requestId,
        preview: prompt.preview,
        decideBy: prompt.decideBy,
      });
    });
    this.engine.on('grant-revoked', (grant) => this.send({ type: 'grant.revoked', grant }));
    // The session ended: nothing pending may still be allowed, nothing running may go on.
    if (this.link.signal.aborted) this.engine.close('session ended');
    else
      this.link.signal.addEventListener('abort', () => this.engine.close('session ended'), {
        once: true,
      });
  }

  /** Registers the handler of one kind (once per kind). */
  register<P>(kind: ActionKind, handler: ActionHandler<P>): void {
    if (this.handlers.has(kind))
      throw new TypeError(`A handler for ${kind} is already registered.`);
    this.handlers.set(kind, handler as ActionHandler<unknown>);
  }

  /** True when the router handles messages of this type. */
  routes(message: ChannelMessage): boolean {
    return (ROUTED_MESSAGE_TYPES as readonly string[]).includes(message.type);
  }

  /** Handles one message from the engineer; resolves when a request has finished. Never rejects. */
  async handle(message: ChannelMessage): Promise<void> {
    switch (message.type) {
      case 'action.request':
        return this.request(message);
      case 'action.cancel':
        this.inflight
          .get(message.requestId)
          ?.abort(new AssentError('CONSENT_CANCELLED', 'The engineer cancelled the request.'));
        this.engine.cancel(message.requestId);
        return;
      case 'grant.list-request':
        this.send({
          type: 'grant.list',
          requestId: message.requestId,
          grants: this.engine.grants(),
        });
        return;
      default:
        return;
    }
  }

  private async request(raw: MessageOf<'action.request'>): Promise<void> {
    const parsed = ActionRequestMessage.safeParse(raw);
    if (!parsed.success) return;
    const { requestId, kind } = parsed.data;
    if (this.inflight.has(requestId))
      return this.fail(
        requestId,
        kind,
        undefined,
        new AssentError('ACTION_DUPLICATE_REQUEST', `Request ${requestId} is already in progress.`),
      );
    const handler = this.handlers.get(kind);
    if (!handler)
      return this.fail(
        requestId,
        kind,
        undefined,
        new AssentError('ACTION_UNKNOWN_KIND', `This agent does not handle ${kind}.`),
      );
    const params = handler.params.safeParse(parsed.data.params);
    if (!params.success) {
      const issues = params.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`);
      return this.fail(
        requestId,
        kind,
        undefined,
        new AssentError(
          'ACTION_BAD_PARAMS',
          `Invalid parameters for ${kind}: ${issues.join('; ')}`.slice(0, 2000),
        ),
      );
    }
    const cancel = new AbortController();
    this.inflight.set(requestId, cancel);
    let action: ActionDescription | undefined;
    try {
      action = await handler.describe(params.data, { link: this.link, requestId });
      if (action.kind !== kind)
        throw new TypeError(`The ${kind} handler described a ${action.kind} action.`);
      const grant = await this.decide(action, requestId, cancel.signal);
      if (!grant) return;
      this.send({ type: 'action.allowed', requestId, digest: grant.digest, basis: grant.basis });
      assertGrantFor(grant, action);
      const signal = AbortSignal.any([grant.signal, cancel.signal, this.link.signal]);
      const result = await handler.execute(grant, params.data, {
        link: this.link,
        requestId,
        signal,
        action,
        progress: this.progressFor(requestId),
      });
      await this.audit.append({
        type: 'action.result',
        sessionId: this.link.sessionId,
        actor: 'agent',
        data: {
          requestId,
          kind,
          digest: grant.digest,
          resultDigest: createHash('sha256').update(canonicalJson(result)).digest('hex'),
        },
      });
      this.send({ type: 'action.result', requestId, result });
    } catch (err) {
      await this.fail(requestId, kind, action, err);
    } finally {
      this.inflight.delete(requestId);
      this.engine.finish(requestId);
    }
  }

  /** Asks the engine; a denial goes to the engineer with its basis and yields no grant. */
  private async decide(
    action: ActionDescription,
    requestId: string,
    signal: AbortSignal,
  ): Promise<Grant | null> {
    try {
      return await this.engine.request(action, { requestId, signal });
    } catch (err) {
      if (!isAssentError(err) || !CONSENT_DENIALS.has(err.code)) throw err;
      const basis = (err.details?.['basis'] as MessageOf<'action.denied'>['basis'] | undefined) ?? {
        source: 'approver',
      };
      this.send({
        type: 'action.denied',
        requestId,
        basis,
        code: err.code,
        message: err.message.slice(0, 2000),
      });
      return null;
    }
  }

  /** Reports a failure to the engineer and the audit log (code only, never a stack). */
  private async fail(
    requestId: string,
    kind: ActionKind,
    action: ActionDescription | undefined,
    err: unknown,
  ): Promise<void> {
    const error = isAssentError(err) ? err : new AssentError('INTERNAL', undefined, { cause: err });
    const digest = action ? this.digestOf(action) : undefined;
    try {
      await this.audit.append({
        type: 'action.error',
        sessionId: this.link.sessionId,
        actor: 'agent',
        data: { requestId, kind, code: error.code, ...(digest ? { digest } : {}) },
      });
    } catch {
      // The engineer still learns of the failure; the audit log reports its own write errors.
    }
    this.send({
      type: 'action.error',
      requestId,
      code: error.code,
      message: error.message.slice(0, 2000),
    });
  }

  private digestOf(action: ActionDescription): string | undefined {
    try {
      return actionDigest(action);
    } catch {
      return undefined;
    }
  }

  private progressFor(requestId: string): ExecuteContext['progress'] {
    let last = 0;
    return (done, total, stage) => {
      const now = Date.now();
      if (now - last < PROGRESS_INTERVAL_MS && done !== total) return;
      last = now;
      this.send({
        type: 'action.progress',
        requestId,
        done,
        ...(total === undefined ? {} : { total }),
        ...(stage === undefined ? {} : { stage: stage.slice(0, 100) }),
      });
    };
  }

  /** Sends to the engineer; after the session ended there is nobody to tell. */
  private send(message: ChannelMessage): void {
    if (this.link.signal.aborted) return;
    try {
      this.link.send(message);
    } catch {
      // CHANNEL_CLOSED: the session ended under us; the engine is closed by the session.
    }
  }
}
