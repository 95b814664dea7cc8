// The English text of a consent prompt for the headless agent's terminal UI
// (issue 3). Prompts are data (ConsentPrompt); this is one rendering of them.
// Every string that came from the engineer is printed with invisible and
// control characters shown as ⟨U+XXXX⟩, so nothing can hide in the prompt or
// drive the approver's terminal with escape sequences.
import type {
  ActionKind,
  ConsentScope,
  FileChange,
  FileFacts,
  PathDisplay,
} from '../../protocol/consent';
import { visibleLine } from '../../protocol/visible-text';
import { formatBytes } from '../rules/rules-summary';
import type { ConsentPrompt } from './consent-engine';

/** What each kind asks, in words. */
export const ACTION_TITLES: Record<ActionKind, string> = {
  'file.list': 'List a folder',
  'file.stat': 'Look at the details of a file',
  'file.read': 'Read (download) a file',
  'file.find': 'Search for files',
  'file.write': 'Write a new file',
  'file.edit': 'Change a file',
  'file.mkdir': 'Create a folder',
  'file.rename': 'Rename or move',
  'file.delete': 'Delete (into the restorable trash)',
  'file.restore': 'Restore from the trash or a backup',
  'terminal.command': 'Run a command',
  'terminal.interactive': 'Open an interactive terminal',
  'fix.apply': 'Apply a software fix',
  'fix.rollback': 'Roll back a software fix',
};

/** The keys the headless UI reads, and what they mean. */
export const PROMPT_KEYS = {
  o: 'allow once',
  s: 'allow similar for this session',
  d: 'deny',
} as const;

const v = (text: string): string => visibleLine(text);

function pathLines(label: string, path: PathDisplay): string[] {
  const lines = [`${label}: ${path.visible}`];
  if (path.hasInvisible)
    lines.push('  Warning: this path contains invisible or unusual characters, shown as ⟨U+XXXX⟩.');
  return lines;
}

function factsText(facts: FileFacts): string {
  const parts = [`${formatBytes(facts.size)} (${facts.size} bytes)`];
  if (facts.type) parts.push(facts.type);
  if (facts.modifiedAt) parts.push(`modified ${v(facts.modifiedAt)}`);
  if (facts.sha256) parts.push(`sha256 ${v(facts.sha256)}`);
  return parts.join(', ');
}

function changeLines(change: FileChange, indent = ''): string[] {
  const lines = [
    `${indent}Before: ${change.before ? factsText(change.before) : '(no file)'}`,
    `${indent}After:  ${change.after ? factsText(change.after) : '(no file)'}`,
  ];
  if (change.binary)
    lines.push(`${indent}Binary content: no text diff; compare the sizes and hashes.`);
  else if (change.diff !== undefined) {
    lines.push(`${indent}Changes (unified diff):`);
    for (const line of change.diff.split('\n')) lines.push(`${indent}  ${v(line)}`);
    if (change.diffTruncated)
      lines.push(
        `${indent}  … the diff is longer than shown; the hashes above bind the whole change.`,
      );
  }
  return lines;
}

/**
 * The full text of a prompt, line by line, ending with the decision keys
 * (`keys: false` leaves them out, for a UI that prints its own instructions).
 */
export function promptLines(prompt: ConsentPrompt, options: { keys?: boolean } = {}): string[] {
  const p = prompt.preview;
  const lines = [`The engineer asks to: ${ACTION_TITLES[p.kind]} (${p.kind})`];
  if (p.path) lines.push(...pathLines('Path', p.path));
  if (p.destination) lines.push(...pathLines('Destination', p.destination));
  if (p.file) lines.push(`File: ${factsText(p.file)}`);
  if (p.change) lines.push(...changeLines(p.change));
  if (p.command) {
    const c = p.command;
    lines.push(`Mode: ${c.mode}`);
    if (c.line !== undefined || c.visibleLine !== undefined)
      lines.push(`Command: ${c.visibleLine ?? v(c.line ?? '')}`);
    if (c.commandNames?.length) lines.push(`Programs: ${c.commandNames.map(v).join(', ')}`);
    lines.push(`Working directory: ${v(c.cwd)}`);
    if (c.windowMinutes !== undefined) lines.push(`For: ${c.windowMinutes} minutes`);
  }
  if (p.fix) {
    const f = p.fix;
    lines.push(
      `Fix: ${v(f.id)} for ${v(f.product)} (${f.fixKind}${f.rollback ? ', rollback' : ''})`,
      `Description: ${v(f.description)}`,
      `Version: ${f.fromVersion ? `${v(f.fromVersion)} -> ` : ''}${v(f.toVersion)}`,
      `Signed by: ${v(f.signer)} (key ${v(f.signerFingerprint)})`,
      `Installs into: ${v(f.targetRoot)}`,
    );
    if (f.supersedes) lines.push(`Supersedes: ${v(f.supersedes)}`);
    for (const file of f.files) {
      lines.push(`  ${file.op} ${v(file.path)}`);
      lines.push(...changeLines(file.change, '    '));
    }
    for (const check of f.checks) lines.push(`  ${check.phase}-check: ${v(check.command)}`);
  }
  for (const [key, value] of Object.entries(p.details ?? {}))
    lines.push(`${v(key)}: ${v(String(value))}`);
  lines.push(
    `Action digest: ${p.digest}`,
    `No answer by ${new Date(prompt.decideBy).toISOString()} means deny.`,
  );
  if (options.keys !== false)
    lines.push(
      `Keys: ${Object.entries(PROMPT_KEYS)
        .map(([key, meaning]) => `[${key}] ${meaning}`)
        .join('   ')}`,
    );
  return lines;
}

function parentOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut <= 0) return path.slice(0, cut + 1) || path;
  return /^[A-Za-z]:$/.test(path.slice(0, cut)) ? path.slice(0, cut + 1) : path.slice(0, cut);
}

/**
 * The scope the `[s]` key offers: the same kind in the folder of the file
 * (the folder itself for list and find), the one program of a command, the
 * product of a fix. Null when no narrow scope fits (a pipeline of several
 * programs): the UI then offers allow once or deny only.
 */
export function suggestedScope(prompt: ConsentPrompt): ConsentScope | null {
  const p = prompt.preview;
  if (p.kind.startsWith('file.')) {
    if (!p.path) return null;
    const folder =
      p.kind === 'file.list' || p.kind === 'file.find'
        ? p.path.canonical
        : parentOf(p.path.canonical);
    if (p.destination) return null;
    return { kind: p.kind, pathPrefix: folder };
  }
  if (p.kind === 'terminal.command') {
    const names = p.command?.commandNames ?? [];
    return names.length > 0 && names.every((n) => n === names[0])
      ? { kind: p.kind, command: names[0]! }
      : null;
  }
  if ((p.kind === 'fix.apply' || p.kind === 'fix.rollback') && p.fix)
    return { kind: p.kind, product: p.fix.product };
  return null;
}
