// The human-readable summary of the rules in force: what the admin reads
// before countersigning and what both people see at the start of a session.
import { DEFAULT_DENIED_GLOBS } from '../../protocol/ground-rules';
import type { EffectiveRules } from './effective-rules';

/** Bytes as a short human figure (1 KiB = 1024 bytes). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}

const list = (items: readonly string[]): string => (items.length === 0 ? 'none' : items.join(', '));

/** One line per rule, in English; UIs that localize render from EffectiveRules' fields instead. */
export function rulesSummary(effective: EffectiveRules): string[] {
  const r = effective.rules;
  const p = effective.policy;
  const lines = [
    `${r.title} (revision ${r.revision})`,
    `Vendor: ${r.vendor}; customer: ${r.customer}`,
    `Fingerprint: ${effective.fingerprint}`,
    `Readable folders: ${list(r.readableRoots)}`,
    `Writable folders: ${list(r.writableRoots)}`,
    `Always denied: ${DEFAULT_DENIED_GLOBS.length} built-in patterns (keys, credentials, browser profiles)` +
      (r.deniedGlobs.length > 0 ? ` and ${list(r.deniedGlobs)}` : ''),
    `Largest file read: ${formatBytes(effective.maxReadBytes)}; largest file written: ${formatBytes(effective.maxWriteBytes)}`,
    `Terminal: ${
      effective.terminal === 'off'
        ? 'not allowed'
        : effective.terminal === 'supervised'
          ? 'supervised, each command approved'
          : `interactive, in windows of ${r.interactiveMinutes} minutes`
    }`,
    `Fixes may be signed by: ${effective.fixesAllowed ? list(r.fixSigners.map((s) => s.name)) : 'nobody (fixes not allowed)'}`,
    `Session length: at most ${effective.sessionMaxMinutes} minutes`,
    r.supportHours
      ? `Support hours: ISO days ${r.supportHours.days.join(',')}, ${r.supportHours.start}-${r.supportHours.end} (${r.supportHours.timeZone})`
      : 'Support hours: any time',
  ];
  if (effective.standingConsents.length === 0)
    lines.push('Standing consents: none (every action is asked)');
  for (const s of effective.standingConsents)
    lines.push(
      `Without asking: ${s.kind}${s.under ? ` under ${s.under}` : ''}${s.command ? ` for command ${s.command}` : ''}${s.description ? ` (${s.description})` : ''}`,
    );
  lines.push(
    `Unanswered prompts are denied after ${Math.round(effective.consentTimeoutMs / 1000)} seconds`,
    `Sessions recorded: ${r.recordSessions ? 'yes' : 'no'}${r.requireTerminalRecording ? '; terminals only run while recorded' : ''}`,
  );
  if (r.validUntil) lines.push(`Valid until: ${r.validUntil}`);
  if (p) {
    const narrowed: string[] = [];
    if (p.readableRoots) narrowed.push(`readable folders limited to ${list(p.readableRoots)}`);
    if (p.writableRoots) narrowed.push(`writable folders limited to ${list(p.writableRoots)}`);
    if (p.deniedGlobs?.length) narrowed.push(`also denied ${list(p.deniedGlobs)}`);
    if (p.deniedKinds?.length) narrowed.push(`never ${list(p.deniedKinds)}`);
    if (p.allowStandingConsents === false) narrowed.push('standing consents off');
    if (p.allowFixes === false) narrowed.push('fixes off');
    lines.push(
      `Machine policy: ${narrowed.length > 0 ? narrowed.join('; ') : 'limits applied above'}`,
    );
  } else lines.push('Machine policy: none');
  return lines;
}
