// Turns what happens in an approved session into desktop events: consent
// prompts and their outcomes, grants, and the timeline and progress of each
// action. Progress and results are seen on the link the action router writes
// to (`tapLink`), which the session composer must hand to the router.
import type { ActionKind, ActionPreview } from '../../protocol/consent';
import type { ActivityEntry } from '../../protocol/ipc';
import type { ChannelMessage } from '../../protocol/wire/messages';
import type {
  ConsentEngine,
  ConsentNotice,
  ConsentPrompt,
  PromptResolution,
} from '../consent/consent-engine';
import { observeSends, type PeerLink } from '../session/peer-link';
import type { CoreEvent, PendingConsent } from './desktop-core';

/** What the desktop core receives from the observer. */
export interface SessionObserverSink {
  emit(event: CoreEvent): void;
  activity(entry: Omit<ActivityEntry, 'id'>): void;
  now(): number;
}

/** What an action is about, in one line: its path, command line or fix. */
export function previewSubject(preview: ActionPreview): string | undefined {
  return (
    preview.path?.visible ??
    preview.command?.visibleLine ??
    preview.command?.line ??
    (preview.fix === undefined ? undefined : `${preview.fix.product} ${preview.fix.toVersion}`)
  );
}

/** A pending prompt as the desktop shows it. */
export function pendingFromPrompt(prompt: ConsentPrompt): PendingConsent {
  return {
    requestId: prompt.id,
    preview: prompt.preview,
    requestedAt: prompt.createdAt,
    expiresAt: prompt.decideBy,
  };
}

const OUTCOMES = {
  allowed: 'allowed',
  denied: 'denied',
  'timed-out': 'timed-out',
  cancelled: 'cancelled',
  'session-ended': 'cancelled',
} as const;

interface Known {
  kind: ActionKind;
  subject?: string;
  label: string;
}

/** Observes one session's consent engine and action traffic. */
export class SessionObserver {
  private readonly known = new Map<string, Known>();
  private readonly stops: Array<() => void> = [];
  private engine: ConsentEngine | undefined;

  constructor(private readonly sink: SessionObserverSink) {}

  /** The session's consent engine, once attached. */
  get consent(): ConsentEngine | undefined {
    return this.engine;
  }

  /** Starts observing the consent engine the composer built. */
  attach(consent: ConsentEngine): void {
    if (this.engine !== undefined) throw new TypeError('A consent engine is already attached.');
    this.engine = consent;
    const sink = this.sink;
    const on = <T>(event: string, listener: (value: T) => void) => {
      consent.on(event, listener);
      this.stops.push(() => consent.off(event, listener));
    };
    on<ConsentPrompt>('prompt', (prompt) => {
      this.remember(prompt.requestId, prompt.preview.kind, previewSubject(prompt.preview));
      sink.emit({ event: 'consentRequested', payload: pendingFromPrompt(prompt) });
      this.log(prompt.requestId, 'action.requested', 'engineer');
    });
    on<PromptResolution>('prompt-resolved', ({ prompt, outcome, basis }) => {
      sink.emit({
        event: 'consentResolved',
        payload: { requestId: prompt.id, outcome: OUTCOMES[outcome] },
      });
      const event =
        outcome === 'allowed'
          ? 'action.allowed'
          : outcome === 'timed-out'
            ? 'action.timed-out'
            : 'action.denied';
      this.log(prompt.requestId, event, basis.source === 'approver' ? 'approver' : 'agent');
    });
    on<ConsentNotice>('notice', ({ requestId, preview, basis }) => {
      this.remember(requestId, preview.kind, previewSubject(preview));
      this.log(requestId, 'action.allowed-by-rule', 'rules', basis.rule);
    });
    on<ReturnType<ConsentEngine['grants']>>('grants-changed', (grants) =>
      sink.emit({ event: 'grantsChanged', payload: grants }),
    );
    on<ReturnType<ConsentEngine['grants']>[number]>('grant-revoked', (grant) =>
      sink.activity({
        at: sink.now(),
        event: 'grant.revoked',
        actor: 'approver',
        kind: grant.scope.kind,
        ...(grant.scope.pathPrefix === undefined ? {} : { subject: grant.scope.pathPrefix }),
      }),
    );
  }

  /** The link to hand to the action router: every message out is observed, then sent. */
  tapLink(link: PeerLink): PeerLink {
    return observeSends(link, (message) => this.outgoing(message));
  }

  private remember(requestId: string, kind: ActionKind, subject: string | undefined): void {
    const previous = this.known.get(requestId);
    const best = subject ?? previous?.subject;
    this.known.set(requestId, {
      kind,
      ...(best === undefined ? {} : { subject: best }),
      label: best ?? kind,
    });
  }

  private log(
    requestId: string,
    event: ActivityEntry['event'],
    actor: ActivityEntry['actor'],
    detail?: string,
  ): void {
    const known = this.known.get(requestId);
    this.sink.activity({
      at: this.sink.now(),
      event,
      actor,
      ...(known === undefined ? {} : { kind: known.kind }),
      ...(known?.subject === undefined ? {} : { subject: known.subject }),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  private outgoing(message: ChannelMessage): void {
    switch (message.type) {
      case 'action.allowed':
        if (message.basis.source === 'session-grant') {
          this.log(message.requestId, 'action.allowed', 'agent', message.basis.rule);
        }
        return;
      case 'action.denied':
        if (message.basis.source === 'ground-rules' || message.basis.source === 'machine-policy') {
          this.log(message.requestId, 'action.denied', 'rules', message.basis.rule ?? message.code);
        }
        this.forget(message.requestId);
        return;
      case 'action.progress':
        this.progress(message.requestId, message.done, message.total, 'running');
        return;
      case 'action.result':
        this.progress(message.requestId, undefined, undefined, 'done');
        this.log(message.requestId, 'action.completed', 'agent');
        this.forget(message.requestId);
        return;
      case 'action.error':
        this.progress(message.requestId, undefined, undefined, 'failed');
        this.log(message.requestId, 'action.failed', 'agent', message.code);
        this.forget(message.requestId);
        return;
      default:
        return;
    }
  }

  private readonly progressSeen = new Map<string, { done: number; total?: number }>();

  /** An action's last message went out: nothing more is said of it, so nothing of it is kept. */
  private forget(requestId: string): void {
    this.known.delete(requestId);
    this.progressSeen.delete(requestId);
  }

  /** Actions whose label or progress is kept (for tests: none once every action ended). */
  get tracked(): number {
    return new Set([...this.known.keys(), ...this.progressSeen.keys()]).size;
  }

  private progress(
    requestId: string,
    done: number | undefined,
    total: number | undefined,
    state: 'running' | 'done' | 'failed',
  ): void {
    const last = this.progressSeen.get(requestId);
    if (done === undefined && last === undefined) return;
    const next = {
      done: Math.floor(done ?? (state === 'done' ? (last?.total ?? last!.done) : last!.done)),
      ...((total ?? last?.total) === undefined
        ? {}
        : { total: Math.floor((total ?? last?.total)!) }),
    };
    this.progressSeen.set(requestId, next);
    const known = this.known.get(requestId);
    const kind = known?.kind.startsWith('fix.') ? 'fix' : 'transfer';
    this.sink.emit({
      event: 'progressChanged',
      payload: { id: requestId, kind, label: known?.label ?? requestId, state, ...next },
    });
  }
}
