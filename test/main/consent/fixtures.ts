// Shared test material: rules documents, described actions, a real audit log in a temp dir.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionKind } from '../../../protocol/consent';
import { GroundRules, type MachinePolicy } from '../../../protocol/ground-rules';
import { AuditLog, auditLogPath } from '../../../main/audit/audit-log';
import type { ActionDescription } from '../../../main/consent/action';
import { EffectiveRules } from '../../../main/rules/effective-rules';

/** A valid rules body; `overrides` replace top-level fields. */
export function rulesBody(
  overrides: Partial<Record<keyof GroundRules, unknown>> = {},
): GroundRules {
  return GroundRules.parse({
    kind: 'assent-ground-rules',
    v: 1,
    title: 'Acme support for Example Corp',
    vendor: 'Acme',
    customer: 'Example Corp',
    revision: 1,
    readableRoots: ['/srv/app', '/var/log/app'],
    writableRoots: ['/srv/app/config'],
    deniedGlobs: ['**/secrets/**'],
    maxReadBytes: 1024 * 1024,
    maxWriteBytes: 64 * 1024,
    terminal: 'supervised',
    fixSigners: [],
    sessionMaxMinutes: 120,
    standingConsents: [],
    consentTimeoutSeconds: 120,
    recordSessions: true,
    ...overrides,
  });
}

export function effective(
  overrides: Partial<Record<keyof GroundRules, unknown>> = {},
  policy: Omit<MachinePolicy, 'kind' | 'v'> | null = null,
): EffectiveRules {
  return new EffectiveRules(
    rulesBody(overrides),
    policy === null ? null : { kind: 'assent-machine-policy', v: 1, ...policy },
    { platform: 'posix' },
  );
}

/** A described file action on `path` (as main/files would build it). */
export function fileAction(
  kind: ActionKind,
  path: string,
  extra: { size?: number; contentHash?: string; paths?: string[] } = {},
): ActionDescription {
  const write = !['file.list', 'file.stat', 'file.read', 'file.find'].includes(kind);
  const facts = extra.size === undefined ? undefined : { size: extra.size };
  return {
    kind,
    target: path,
    params: extra.size === undefined ? {} : { size: extra.size },
    ...(extra.contentHash === undefined ? {} : { contentHash: extra.contentHash }),
    match: { paths: extra.paths ?? [path] },
    preview: {
      kind,
      path: { canonical: path, visible: path, hasInvisible: false },
      ...(facts && !write ? { file: facts } : {}),
      ...(facts && write ? { change: { binary: false, after: facts } } : {}),
    },
  };
}

/** A supervised terminal command. */
export function commandAction(line: string, names: string[], cwd = '/srv/app'): ActionDescription {
  return {
    kind: 'terminal.command',
    target: line,
    params: { cwd },
    match: { commands: names },
    preview: {
      kind: 'terminal.command',
      command: { mode: 'supervised', line, visibleLine: line, commandNames: names, cwd },
    },
  };
}

/** A real audit log in a fresh temp dir. */
export async function tempAudit(): Promise<{
  dir: string;
  log: AuditLog;
  records: () => Promise<Array<{ type: string; actor?: string; data: Record<string, unknown> }>>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'assent-consent-'));
  const log = await AuditLog.open(dir);
  return {
    dir,
    log,
    records: async () =>
      (await readFile(auditLogPath(dir), 'utf8'))
        .split('\n')
        .filter((l) => l.length > 0)
        .map(
          (l) => JSON.parse(l) as { type: string; actor?: string; data: Record<string, unknown> },
        ),
    cleanup: async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves at the next `event` of `emitter`. */
export function nextEvent<T>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}
