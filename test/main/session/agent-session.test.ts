import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/agent';
import { verifyAuditLog } from '../../../main/audit/audit-verify';
import { auditLogPath } from '../../../main/audit/audit-log';
import { SessionHarness, waitFor } from '../../support/session-harness';
import type { SessionRequest } from '../../../main/session/agent-session';
import { AssentError } from '../../../protocol/errors';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('agent session (real relay, agent core, engineer client, keychain)', () => {
  it('runs the happy path: code, handshake with equal SAS, approval, chat both ways, end by engineer, audit verifies', async () => {
    harness = await SessionHarness.start();
    const { session, code } = await harness.startSession({
      ticket: 'T-4711',
      description: 'Printer queue stuck',
    });
    expect(code).toMatch(/^\d{10}$/);
    const requested = waitFor<SessionRequest>(session, 'request');
    const engineer = await harness.connect(code);
    const request = await requested;
    expect(request.engineer.name).toBe('Erin Engineer');
    expect(request.engineer.vendor).toBe('Acme Support');
    expect(request.sas).toMatch(/^\d{3} \d{3}$/);
    expect(engineer.sas).toBe(request.sas);
    expect(request.ticket).toBe('T-4711');
    expect(request.reason).toBe('Investigating ticket 4711');

    const approved = engineer.waitForApproval();
    await session.accept('alice');
    await approved;
    expect(session.state).toBe('active');
    expect(engineer.state).toBe('active');

    const atAgent = waitFor<{ text: string }>(session, 'chat');
    engineer.chat('Hello, can you open the log folder?');
    expect((await atAgent).text).toBe('Hello, can you open the log folder?');
    const atEngineer = waitFor<{ text: string; from: string }>(engineer, 'chat');
    session.chat('Sure, go ahead.');
    const reply = await atEngineer;
    expect(reply).toMatchObject({ text: 'Sure, go ahead.', from: 'agent' });

    const ended = waitFor<{ by: string; code: string }>(session, 'ended');
    await engineer.endSession('Done, thanks');
    expect(await ended).toMatchObject({ by: 'engineer', code: 'SESSION_ENDED' });

    const verdict = await verifyAuditLog(auditLogPath(harness.dataDir));
    expect(verdict.ok).toBe(true);
    const types = readFileSync(auditLogPath(harness.dataDir), 'utf8');
    for (const type of [
      'session.code-issued',
      'session.handshake',
      'session.requested',
      'session.accepted',
      'chat',
      'session.ended',
    ]) {
      expect(types).toContain(`"type":"${type}"`);
    }
    expect(types).not.toContain('Hello, can you open the log folder?');
  });

  it('tells the engineer when the approver refuses', async () => {
    harness = await SessionHarness.start();
    const { session, code } = await harness.startSession();
    const requested = waitFor(session, 'request');
    const engineer = await harness.connect(code);
    await requested;
    const approval = engineer.waitForApproval().catch((error: unknown) => error);
    await session.refuse('Not now');
    expect(await approval).toMatchObject({ code: 'SESSION_REFUSED', message: 'Not now' });
    expect(session.state).toBe('ended');
  });

  it('refuses by itself when nobody answers in time', async () => {
    harness = await SessionHarness.start({ agent: { approvalTimeoutMs: 300 } });
    const { session, code } = await harness.startSession();
    const engineer = await harness.connect(code);
    await expect(engineer.waitForApproval()).rejects.toMatchObject({
      code: 'SESSION_APPROVAL_TIMEOUT',
    });
    expect(session.end?.code).toBe('SESSION_APPROVAL_TIMEOUT');
  });

  it('ends at once when the agent ends, stopping the engineer side', async () => {
    harness = await SessionHarness.start();
    const { agentSession, engineer } = await harness.approvedSession();
    const ended = engineer.whenEnded();
    await agentSession.endSession();
    expect(await ended).toMatchObject({ by: 'agent', code: 'SESSION_ENDED' });
    expect(engineer.link.signal.aborted).toBe(true);
    expect(() => engineer.chat('still there?')).toThrow(AssentError);
  });

  it('refuses an engineer whose credential was issued by another vendor key', async () => {
    harness = await SessionHarness.start();
    const { code } = await harness.startSession();
    const rogue = harness.engineer({
      vendorKey: (await import('../../../platform/signing')).generateSigningKeyPair(),
    });
    await expect(harness.connect(code, rogue)).rejects.toMatchObject({
      code: 'RELAY_WRONG_VENDOR',
    });
  });

  it('refuses expired and revoked credentials with clear codes', async () => {
    harness = await SessionHarness.start();
    const { code } = await harness.startSession();
    const expired = harness.engineer({ days: 1, now: new Date(Date.now() - 3 * 86_400_000) });
    await expect(harness.connect(code, expired)).rejects.toMatchObject({
      code: 'RELAY_CREDENTIAL_EXPIRED',
    });
    const revoked = harness.engineer();
    harness.revoke([revoked.certificate.serial]);
    await expect(harness.connect(code, revoked)).rejects.toMatchObject({
      code: 'RELAY_CREDENTIAL_REVOKED',
    });
  });

  it('refuses an unknown or reused code', async () => {
    harness = await SessionHarness.start();
    const { session, code } = await harness.startSession();
    await expect(harness.connect('0000000000')).rejects.toMatchObject({
      code: 'RELAY_CODE_UNKNOWN',
    });
    const requested = waitFor(session, 'request');
    await harness.connect(code);
    await requested;
    await expect(harness.connect(code)).rejects.toMatchObject({ code: 'RELAY_CODE_UNKNOWN' });
  });
});

describe('network drop and resume', () => {
  it('resumes after a drop within the grace period, with the same approval and a new handshake', async () => {
    harness = await SessionHarness.start({ proxy: true, agent: { resumeGraceMs: 10_000 } });
    const { agentSession: session, engineer } = await harness.approvedSession();
    const interrupted = waitFor(session, 'interrupted');
    const resumed = waitFor(session, 'resumed');
    const engineerResumed = waitFor(engineer, 'resumed');
    harness.proxy!.cutAll();
    await interrupted;
    await resumed;
    await engineerResumed;
    expect(session.state).toBe('active');

    const chat = waitFor<{ text: string }>(session, 'chat');
    engineer.chat('still here');
    expect((await chat).text).toBe('still here');
    await session.endSession();
    expect(readFileSync(auditLogPath(harness.dataDir), 'utf8')).toContain(
      '"type":"session.resumed"',
    );
  });

  it('ends when the connection does not come back within the grace period', async () => {
    harness = await SessionHarness.start({ proxy: true, agent: { resumeGraceMs: 600 } });
    const { agentSession: session } = await harness.approvedSession();
    const ended = waitFor<{ code: string }>(session, 'ended');
    await harness.proxy!.close(); // the way back is gone for good
    expect((await ended).code).toBe('SESSION_RESUME_REJECTED');
  });
});

describe('setup', () => {
  it('refuses to open an agent that has no pinned vendor key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assent-unpinned-'));
    try {
      await expect(
        Agent.open({ dataDir: dir, relayUrl: 'ws://127.0.0.1:1' }),
      ).rejects.toMatchObject({
        code: 'VENDOR_NOT_TRUSTED',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the agent protects itself', () => {
  it('refuses any action on its own data folder, even when the rules cover it', async () => {
    harness = await SessionHarness.start();
    await harness.installRules({ readableRoots: [harness.root], writableRoots: [harness.root] });
    const { engineer } = await harness.approvedSession();
    const { requestAction } = await import('../../../console/actions/request-action');
    const auditFile = auditLogPath(harness.dataDir);
    const refused = await requestAction(engineer.link, 'file.stat', { path: auditFile }).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'CONSENT_DENIED_BY_RULE' });
    expect(
      String((refused as Error).message) +
        JSON.stringify((refused as { details?: unknown }).details),
    ).toContain("agent's own data folder");
    const allowed = requestAction(engineer.link, 'file.stat', { path: join(harness.customerDir) });
    const prompt = await waitFor<{ id: string }>(harness.services!.engine, 'prompt');
    harness.services!.engine.decide(prompt.id, { how: 'allow-once' }, { approver: 'test' });
    await expect(allowed).resolves.toBeDefined();
  });
});
