// The prompts waiting for the approver: a queue, not one at a time (issue 3).
// Each prompt ends exactly once: decided, timed out (deny), cancelled by the
// engineer, or ended with the session.
import { randomUUID } from 'node:crypto';
import type { ActionPreview, DecisionBasis } from '../../protocol/consent';
import type { ErrorCode } from '../../protocol/errors';
import type { ActionDescription } from './action';
import type { ConsentPrompt, PromptOutcome, PromptResolution } from './consent-types';

/** How a request was decided, before it is audited and turned into a grant or an error. */
export type Settled =
  | { allowed: true; basis: DecisionBasis; how: string; by?: string; sessionGrantId?: string }
  | { allowed: false; basis: DecisionBasis; code: ErrorCode; message: string; by?: string };

interface Waiting {
  readonly prompt: ConsentPrompt;
  readonly action: ActionDescription;
  readonly settle: (outcome: Settled) => void;
}

type Ending = Exclude<PromptOutcome, 'allowed' | 'denied'>;

const ENDINGS: Record<Ending, [ErrorCode, string]> = {
  'timed-out': ['CONSENT_TIMEOUT', 'Nobody answered the consent prompt in time.'],
  cancelled: ['CONSENT_CANCELLED', 'The engineer withdrew the request.'],
  'session-ended': ['CONSENT_SESSION_ENDED', 'The session ended.'],
};

/** Where the queue reports prompts and their ends (the engine re-emits them). */
export interface PromptEvents {
  prompt(prompt: ConsentPrompt): void;
  resolved(resolution: PromptResolution): void;
}

export class PromptQueue {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: number,
    private readonly events: PromptEvents,
  ) {}

  /** Asks the approver; settles when they answer, the prompt times out, is cancelled, or the session ends. */
  ask(
    action: ActionDescription,
    preview: ActionPreview,
    requestId: string,
    signal: AbortSignal | undefined,
  ): Promise<Settled> {
    return new Promise<Settled>((resolve) => {
      const createdAt = this.now();
      const prompt: ConsentPrompt = {
        id: `p-${randomUUID()}`,
        requestId,
        preview,
        createdAt,
        decideBy: createdAt + this.timeoutMs,
      };
      const onAbort = (): void => this.endFor(requestId, 'cancelled', { source: 'cancelled' });
      const timer = setTimeout(
        () => this.end(prompt.id, 'timed-out', { source: 'timeout' }),
        this.timeoutMs,
      );
      const settle = (outcome: Settled): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      this.waiting.set(prompt.id, { prompt, action, settle });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.events.prompt(prompt);
    });
  }

  /** The prompt and the action it asks about, while it waits. */
  get(promptId: string): { prompt: ConsentPrompt; action: ActionDescription } | undefined {
    return this.waiting.get(promptId);
  }

  /** Settles a waiting prompt with the approver's answer. */
  answer(promptId: string, settled: Settled): void {
    const waiting = this.waiting.get(promptId);
    if (!waiting) return;
    this.waiting.delete(promptId);
    waiting.settle(settled);
    this.events.resolved({
      prompt: waiting.prompt,
      outcome: settled.allowed ? 'allowed' : 'denied',
      basis: settled.basis,
    });
  }

  /** Ends a waiting prompt without an allow. */
  end(promptId: string, outcome: Ending, basis: DecisionBasis): void {
    const waiting = this.waiting.get(promptId);
    if (!waiting) return;
    this.waiting.delete(promptId);
    const [code, message] = ENDINGS[outcome];
    waiting.settle({ allowed: false, basis, code, message });
    this.events.resolved({ prompt: waiting.prompt, outcome, basis });
  }

  /** Ends the prompts of one request. */
  endFor(requestId: string, outcome: Ending, basis: DecisionBasis): void {
    for (const w of [...this.waiting.values()])
      if (w.prompt.requestId === requestId) this.end(w.prompt.id, outcome, basis);
  }

  /** Ends every waiting prompt. */
  endAll(outcome: Ending, basis: DecisionBasis): void {
    for (const id of [...this.waiting.keys()]) this.end(id, outcome, basis);
  }

  /** The waiting prompts, oldest first. */
  list(): ConsentPrompt[] {
    return [...this.waiting.values()].map((w) => w.prompt);
  }
}
