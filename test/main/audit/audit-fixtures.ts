// Shared setup of the audit tests: real temp directories and a stepping clock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { AuditEngineer } from '../../../protocol/audit';
import type { AuditLog } from '../../../main/audit/audit-log';
import { sha256Hex } from '../../../main/audit/audit-record';

const dirs: string[] = [];

/** A fresh data directory, removed after the test. */
export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'assent-audit-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A clock that starts at `start` and advances `stepMs` on every reading. */
export function steppingClock(start: string, stepMs = 1000): () => Date {
  let now = Date.parse(start);
  return () => {
    const date = new Date(now);
    now += stepMs;
    return date;
  };
}

export const ENGINEER: AuditEngineer = {
  name: 'Erin Engineer',
  email: 'erin@vendor.example',
  fingerprint: 'ab12:cd34:ef56:0789:ab12:cd34:ef56:0789',
  vendor: 'Vendor AS',
};

/** Appends a whole session: handshake, request, acceptance, actions, chat and the end. */
export async function appendSession(
  log: AuditLog,
  sessionId: string,
  options: { ticket?: string; engineer?: AuditEngineer; accept?: boolean } = {},
): Promise<void> {
  const engineer = options.engineer ?? ENGINEER;
  await log.append({
    type: 'session.code-issued',
    actor: 'agent',
    data: { codeDigest: sha256Hex('1234567890') },
  });
  await log.append({ type: 'session.handshake', sessionId, actor: 'agent', data: { engineer } });
  await log.append({
    type: 'session.requested',
    sessionId,
    actor: 'engineer',
    data: {
      engineer,
      ...(options.ticket === undefined ? {} : { ticket: options.ticket }),
      reason: 'slow start',
    },
  });
  if (options.accept === false) {
    await log.append({
      type: 'session.refused',
      sessionId,
      actor: 'approver',
      data: { reason: 'denied' },
    });
    await log.append({ type: 'session.ended', sessionId, actor: 'agent', data: { by: 'agent' } });
    return;
  }
  await log.append({ type: 'session.accepted', sessionId, actor: 'approver', data: {} });
  const actions: Array<[string, boolean, boolean]> = [
    ['file.read', true, false],
    ['file.read', true, true],
    ['file.write', false, false],
    ['terminal.command', true, false],
  ];
  let n = 0;
  for (const [kind, allowed, fails] of actions) {
    const requestId = `r${++n}`;
    const digest = sha256Hex(`${kind}-${n}`);
    await log.append({
      type: 'action.requested',
      sessionId,
      actor: 'engineer',
      data: { requestId, kind, digest },
    });
    await log.append({
      type: 'action.decided',
      sessionId,
      actor: 'approver',
      data: { requestId, allowed, basis: { source: 'approver' } },
    });
    if (!allowed) continue;
    if (fails)
      await log.append({
        type: 'action.error',
        sessionId,
        actor: 'agent',
        data: { requestId, code: 'IO_FAILED' },
      });
    else
      await log.append({
        type: 'action.result',
        sessionId,
        actor: 'agent',
        data: { requestId, sha256: digest, bytes: 10 },
      });
  }
  await log.append({
    type: 'chat',
    sessionId,
    actor: 'engineer',
    data: { direction: 'in', length: 5, digest: sha256Hex('hello') },
  });
  await log.append({
    type: 'session.ended',
    sessionId,
    actor: 'engineer',
    data: { by: 'engineer' },
  });
}
