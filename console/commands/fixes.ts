// The engineer console's fix commands (issue 5): `fix push <file>` uploads a
// signed package and asks the customer to apply it; `fix rollback <id>` asks
// to roll an installed fix back. Both wait for the approver.
import { isAbsolute, resolve } from 'node:path';
import type { ActionPreview } from '../../protocol/consent';
import { AssentError, isAssentError } from '../../protocol/errors';
import { pushFix, requestFixRollback } from '../fixes/fix-client';
import type { ConsoleCommand, ConsoleContext } from './console-command';

function explainFailure(err: unknown, context: ConsoleContext): void {
  if (!isAssentError(err)) throw err;
  const basis = err.details?.['basis'] as { source?: string; rule?: string } | undefined;
  const why = basis ? ` (${basis.source}${basis.rule ? `: ${basis.rule}` : ''})` : '';
  context.print(`${err.code}: ${err.message}${why}`);
}

/** What the engineer sees while the approver looks at the prompt. */
export function pendingLines(preview: ActionPreview): string[] {
  const fix = preview.fix;
  if (!fix) return ['waiting for approval…'];
  const change = fix.fromVersion ? `${fix.fromVersion} → ${fix.toVersion}` : fix.toVersion;
  const counts = { add: 0, replace: 0, remove: 0 };
  for (const f of fix.files) counts[f.op] += 1;
  const checks = fix.checks.map((c) => `${c.phase} ${c.command}`).join('; ');
  return [
    `waiting for approval… (${fix.rollback ? 'rollback of ' : ''}${fix.id}: ${fix.product} ${change}, ${fix.fixKind}, signed by ${fix.signer} ${fix.signerFingerprint})`,
    `  ${counts.add} added, ${counts.replace} replaced, ${counts.remove} removed in ${fix.targetRoot}${checks ? `; checks: ${checks}` : ''}`,
  ];
}

/** Redraws one progress line with \r; `end()` finishes that line before the next print. */
class ProgressLine {
  private shown = false;
  constructor(private readonly context: ConsoleContext) {}

  readonly draw = (done: number, total?: number, stage?: string): void => {
    this.shown = true;
    const share = total ? ` ${Math.floor((done / total) * 100)}%` : '';
    this.context.write(`\r${stage ?? 'working'}${share} (${done}${total ? `/${total}` : ''})   `);
  };

  end(): void {
    if (this.shown) this.context.write('\n');
    this.shown = false;
  }
}

const fix: ConsoleCommand = {
  name: 'fix',
  usage: 'fix push <file.assentfix> | fix rollback <id>',
  summary: 'push a signed fix package to the customer (they approve it), or ask to roll one back',
  async run(args, context) {
    const [sub, subject, ...extra] = args;
    if ((sub !== 'push' && sub !== 'rollback') || !subject || extra.length > 0)
      throw new AssentError('USAGE', 'usage: fix push <file.assentfix> | fix rollback <id>');
    const progress = new ProgressLine(context);
    const onProgress = progress.draw;
    const onPending = (preview: ActionPreview) => {
      progress.end();
      for (const line of pendingLines(preview)) context.print(line);
    };
    try {
      if (sub === 'push') {
        const file = isAbsolute(subject) ? subject : resolve(context.cwd, subject);
        const result = await pushFix(context.link, file, {
          onUpload: (sent, total) => onProgress(sent, total, 'uploading'),
          onPending,
          onAllowed: () => context.print('approved; applying…'),
          onProgress,
        });
        progress.end();
        context.print(
          `applied ${result.id}: ${result.product} ${result.fromVersion ? `${result.fromVersion} → ` : ''}${result.version}, ${result.filesChanged} file(s)${result.supersedes ? `, supersedes ${result.supersedes}` : ''}`,
        );
      } else {
        const result = await requestFixRollback(context.link, subject, {
          onPending,
          onAllowed: () => context.print('approved; rolling back…'),
          onProgress,
        });
        progress.end();
        context.print(
          `rolled back ${result.id} (${result.product} ${result.version}): ${result.filesRestored} file(s) restored`,
        );
      }
    } catch (err) {
      progress.end();
      explainFailure(err, context);
    }
  },
};

/** The fix commands of the interactive prompt. */
export const FIX_COMMANDS: readonly ConsoleCommand[] = [fix];
