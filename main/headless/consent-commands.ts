// The approver's consent commands in the headless UI: numbered prompts,
// allow / allow-session / deny, grants and revoke. The scope of an
// allow-session decision is built from the prompted action itself (its kind,
// its folder or command name), so a typed command can only narrow it.
import { isAbsolute } from 'node:path';
import { AssentError } from '../../protocol/errors';
import type { ConsentDecision, ConsentScope } from '../../protocol/consent';
import type { ConsentEngine, ConsentNotice, ConsentPrompt } from '../consent/consent-engine';
import { suggestedScope } from '../consent/prompt-text';

/** What the headless UI needs from the consent engine. */
export interface ConsentConsole {
  onPrompt(listener: (lines: string[]) => void): void;
  onNotice(listener: (line: string) => void): void;
  listPending(): string[];
  listGrants(): string[];
  decide(index: number, decision: DecisionRequest): void;
  revoke(grantId: string): void;
}

/** A decision as typed, before its scope is derived from the prompt. */
export type DecisionRequest =
  | { how: 'allow-once' }
  | { how: 'allow-session'; minutes?: number; uses?: number; under?: string }
  | { how: 'deny'; reason?: string };

/** Parses `allow 3`, `allow-session 3 --minutes 10 --uses 5 --under /var/log`, `deny 3 reason...`. */
export function parseDecisionCommand(
  command: string,
  args: string[],
): { index: number; decision: DecisionRequest } {
  const index = Number(args[0]);
  if (!Number.isInteger(index) || index < 1)
    throw new AssentError('USAGE', `Say which request: "${command} <number>" (see "pending").`);
  if (command === 'allow') return { index, decision: { how: 'allow-once' } };
  if (command === 'deny') {
    const reason = args.slice(1).join(' ').trim();
    return { index, decision: { how: 'deny', ...(reason ? { reason } : {}) } };
  }
  const decision: { how: 'allow-session'; minutes?: number; uses?: number; under?: string } = {
    how: 'allow-session',
  };
  for (let i = 1; i < args.length; i += 2) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) throw new AssentError('USAGE', `${flag} needs a value.`);
    if (flag === '--minutes' || flag === '--uses') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new AssentError('USAGE', `${flag} takes a whole number above 0.`);
      if (flag === '--minutes') decision.minutes = n;
      else decision.uses = n;
    } else if (flag === '--under') {
      // A grant's folder is matched against canonical absolute paths: a relative one would cover nothing.
      if (!isAbsolute(value))
        throw new AssentError('USAGE', `--under takes an absolute path (${value} is not one).`);
      decision.under = value;
    } else throw new AssentError('USAGE', `Unknown option ${flag}.`);
  }
  return { index, decision };
}

/**
 * The scope an allow-session decision gets: the consent engine's suggestion
 * for the prompted action (same kind, its folder, its single command name or
 * product), with `--under` another folder (the engine refuses one that does
 * not cover the prompted action or reaches beyond the rules), a lifetime and
 * a use count.
 */
export function scopeFor(
  prompt: ConsentPrompt,
  request: { minutes?: number; uses?: number; under?: string },
): ConsentScope {
  const suggested = suggestedScope(prompt);
  if (!suggested) {
    throw new AssentError(
      'USAGE',
      'This request cannot be allowed for the whole session; allow it once or deny it.',
    );
  }
  const scope: ConsentScope = { ...suggested };
  if (request.under) {
    if (!scope.pathPrefix) throw new AssentError('USAGE', '--under applies to file requests only.');
    scope.pathPrefix = request.under;
  }
  if (request.minutes) scope.minutes = request.minutes;
  if (request.uses) scope.maxUses = request.uses;
  return scope;
}

/** Numbers prompts as they arrive and turns typed decisions into engine decisions. */
export function consentConsole(
  engine: ConsentEngine,
  render: (prompt: ConsentPrompt) => string[],
): ConsentConsole {
  const numbers = new Map<string, number>();
  const byNumber = new Map<number, ConsentPrompt>();
  let counter = 0;
  const label = (prompt: ConsentPrompt): string[] => {
    const n = numbers.get(prompt.id)!;
    return [
      `=== CONSENT REQUEST #${n} ===`,
      ...render(prompt),
      `Type "allow ${n}", "allow-session ${n} [--minutes M] [--uses N] [--under PATH]" or "deny ${n} [reason]".`,
    ];
  };
  engine.on('prompt', (prompt: ConsentPrompt) => {
    counter += 1;
    numbers.set(prompt.id, counter);
    byNumber.set(counter, prompt);
  });
  engine.on('prompt-resolved', ({ prompt }: { prompt: ConsentPrompt }) => {
    const n = numbers.get(prompt.id);
    numbers.delete(prompt.id);
    if (n !== undefined) byNumber.delete(n);
  });
  return {
    onPrompt(listener) {
      engine.on('prompt', (prompt: ConsentPrompt) => listener(label(prompt)));
    },
    onNotice(listener) {
      engine.on('notice', (notice: ConsentNotice) =>
        listener(
          `${notice.preview.kind} ${notice.preview.path?.visible ?? notice.preview.command?.visibleLine ?? ''} allowed by standing consent (${notice.basis.rule ?? 'ground rules'})`,
        ),
      );
    },
    listPending() {
      const pending = engine.pending();
      if (pending.length === 0) return ['Nothing is waiting for a decision.'];
      return pending.flatMap((prompt) => label(prompt));
    },
    listGrants() {
      const grants = engine.grants();
      if (grants.length === 0) return ['No session grants.'];
      return grants.map((g) => {
        const target = g.scope.pathPrefix ?? g.scope.command ?? g.scope.product ?? '';
        const until = g.expiresAt ? `, until ${new Date(g.expiresAt).toLocaleTimeString()}` : '';
        const uses = g.scope.maxUses ? `, ${g.uses}/${g.scope.maxUses} uses` : `, ${g.uses} uses`;
        return `${g.id}  ${g.scope.kind} ${target}${until}${uses}`;
      });
    },
    decide(index, request) {
      const prompt = byNumber.get(index);
      if (!prompt)
        throw new AssentError('USAGE', `There is no request #${index} waiting (see "pending").`);
      const decision: ConsentDecision =
        request.how === 'allow-session'
          ? { how: 'allow-session', scope: scopeFor(prompt, request) }
          : request;
      engine.decide(prompt.id, decision, { approver: process.env.USER ?? 'approver' });
    },
    revoke(grantId) {
      engine.revoke(grantId);
    },
  };
}
