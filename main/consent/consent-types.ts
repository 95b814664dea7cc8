// The consent engine's public data: prompts, outcomes, notices, options and
// the audit sink it writes to. Prompts are data, never pre-rendered text.
import type { ActionPreview, DecisionBasis } from '../../protocol/consent';
import type { EffectiveRules } from '../rules/effective-rules';

/** One record the engine writes. */
export interface ConsentAuditEvent {
  type: string;
  sessionId?: string;
  actor?: 'approver' | 'engineer' | 'agent' | 'admin' | 'system';
  data: Record<string, unknown>;
}

/** Where the engine writes its records; the real one is main/audit's AuditLog. */
export interface AuditSink {
  append(event: ConsentAuditEvent): Promise<unknown>;
  /** Several records in order, in one durable write (all or none). */
  appendAll(events: readonly ConsentAuditEvent[]): Promise<unknown>;
}

/** A request waiting for the approver, as data (every UI renders it its own way). */
export interface ConsentPrompt {
  readonly id: string;
  readonly requestId: string;
  readonly preview: ActionPreview;
  readonly createdAt: number;
  /** No answer by then means deny. */
  readonly decideBy: number;
}

/** How a prompt ended. */
export type PromptOutcome = 'allowed' | 'denied' | 'timed-out' | 'cancelled' | 'session-ended';

/** Payload of the `prompt-resolved` event. */
export interface PromptResolution {
  readonly prompt: ConsentPrompt;
  readonly outcome: PromptOutcome;
  readonly basis: DecisionBasis;
}

/** Payload of the `notice` event: an action a standing consent allowed without asking. */
export interface ConsentNotice {
  readonly requestId: string;
  readonly preview: ActionPreview;
  readonly basis: DecisionBasis;
}

export interface ConsentEngineOptions {
  readonly sessionId: string;
  readonly rules: EffectiveRules;
  readonly audit: AuditSink;
  readonly now?: () => number;
  /** Prompt timeout; default from the rules (consentTimeoutSeconds, 120 s). */
  readonly timeoutMs?: number;
  /** When the session started (for the session length rule); default: construction time. */
  readonly sessionStartedAt?: number;
}
