// fix.apply and fix.rollback through the real action router and consent
// engine, with the package uploaded over a stream first.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionRouter } from '../../../main/actions/action-router';
import { AuditLog } from '../../../main/audit/audit-log';
import { ConsentEngine, type ConsentPrompt } from '../../../main/consent/consent-engine';
import { registerFixActions, type FixDomain } from '../../../main/fixes/fix-actions';
import { loadRegistry } from '../../../main/fixes/registry';
import { EffectiveRules } from '../../../main/rules/effective-rules';
import { keyFingerprint } from '../../../platform/signing';
import type { ConsentDecision } from '../../../protocol/consent';
import { MAX_JSON_MESSAGE_BYTES } from '../../../protocol/limits';
import { rulesBody } from '../consent/fixtures';
import { DEFAULT_FIX_FILES, makeWorld, sha, snapshot, type FixWorld } from './fix-world';
import { MemoryLink } from '../../support/memory-link';

let world: FixWorld;
let audit: AuditLog;
let link: MemoryLink;
let engine: ConsentEngine;
let router: ActionRouter;
let domain: FixDomain;
let prompts: ConsentPrompt[];
let decide: (p: ConsentPrompt) => Promise<ConsentDecision>;
let upload = 1;

beforeEach(async () => {
  world = await makeWorld();
  audit = await AuditLog.open(world.dataDir);
  link = new MemoryLink({
    sessionId: 's-fixes',
    engineer: {
      name: 'Ivy Installer',
      email: 'ivy@acme.example',
      roles: ['engineer', 'installer'],
    },
  });
  const rules = new EffectiveRules(
    rulesBody({
      fixSigners: [{ name: 'Acme Release', publicKey: world.key.publicKey }],
      maxWriteBytes: 1024 * 1024,
    }),
    null,
    { platform: 'posix' },
  );
  engine = new ConsentEngine({ sessionId: link.sessionId, rules, audit, timeoutMs: 5_000 });
  router = new ActionRouter({ engine, link, audit });
  domain = registerFixActions(router, {
    dataDir: world.dataDir,
    link,
    rules,
    audit,
    deviceKey: world.trust.deviceKey!,
    agentVersion: '1.0.0',
  });
  prompts = [];
  decide = async () => ({ how: 'allow-once' });
  engine.on('prompt', (p: ConsentPrompt) => {
    prompts.push(p);
    void decide(p).then((d) => engine.decide(p.id, d, { approver: 'alice' }));
  });
});
afterEach(async () => {
  engine.close('test over');
  link.end();
  await domain.close();
  await audit.close();
  world.cleanup();
});

/** Plays the engineer's side of `fix.upload`. */
async function uploadPackage(
  file: string,
  tamper = false,
): Promise<{ upload: number; size: number; sha256: string }> {
  const bytes = await fsp.readFile(file);
  const ref = {
    upload: (upload += 2),
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  expect(domain.handleMessage({ type: 'fix.upload', ...ref })).toBe(true);
  await link.next('fix.upload-ready', (m) => m.upload === ref.upload);
  if (tamper) bytes[bytes.length - 2000] ^= 1;
  link.deliver(ref.upload, bytes);
  return ref;
}

const request = (
  requestId: string,
  kind: 'fix.apply' | 'fix.rollback',
  params: Record<string, unknown>,
) => router.handle({ type: 'action.request', requestId, kind, params });

describe('fix.apply through the router', () => {
  it('uploads, shows the manifest in the prompt, applies on allow, reports progress and the result', async () => {
    const ref = await uploadPackage(
      await world.pack({
        manifest: {
          postCheck: {
            argv: ['/bin/sh', '-c', 'grep -q "threads = 8" app.conf'],
            timeoutSeconds: 10,
          },
        },
      }),
    );
    expect((await link.next('fix.upload-done', (m) => m.upload === ref.upload)).ok).toBe(true);
    await request('r1', 'fix.apply', ref);
    expect(link.sent.filter((m) => m.type.startsWith('action.')).map((m) => m.type)).toEqual(
      expect.arrayContaining([
        'action.pending',
        'action.allowed',
        'action.progress',
        'action.result',
      ]),
    );
    const fix = prompts[0]!.preview.fix!;
    expect(fix).toMatchObject({
      id: 'FIX-1',
      fixKind: 'workaround',
      toVersion: '1.0.1',
      signer: 'Acme Release',
      signerFingerprint: keyFingerprint(world.key.publicKey),
      targetRoot: world.target,
      checks: [{ phase: 'post', command: `/bin/sh -c 'grep -q "threads = 8" app.conf'` }],
    });
    expect(fix.files.map((f) => [f.path, f.op])).toEqual([
      ['app.conf', 'replace'],
      ['bin/tool', 'replace'],
      ['lib/new/helper.txt', 'add'],
      ['lib/old.txt', 'remove'],
    ]);
    const conf = fix.files[0]!.change;
    expect(conf.binary).toBe(false);
    expect(conf.diff).toContain('-threads = 4');
    expect(conf.diff).toContain('+threads = 8');
    expect(conf.before?.size).toBe(24);
    expect(fix.files[3]!.change.after).toBeUndefined();
    expect(link.of('action.result')[0]!.result).toMatchObject({
      id: 'FIX-1',
      version: '1.0.1',
      filesChanged: 4,
    });
    expect((await snapshot(world.target))['app.conf']).toBe(sha(DEFAULT_FIX_FILES['app.conf']!));
    expect((await loadRegistry(world.dataDir)).fixes[0]!.approvedBy).toMatch(
      /^approver.*Ivy Installer/,
    );
    // The staged package is gone once used.
    expect(await fsp.readdir(join(world.dataDir, 'fixes', 'incoming'))).toEqual([]);
  });

  it('a denial changes nothing and tells the engineer', async () => {
    decide = async () => ({ how: 'deny', reason: 'not today' });
    const before = await snapshot(world.target);
    const ref = await uploadPackage(await world.pack({}));
    await link.next('fix.upload-done');
    await request('r2', 'fix.apply', ref);
    expect(link.of('action.denied')[0]).toMatchObject({ code: 'CONSENT_DENIED' });
    expect(await snapshot(world.target)).toEqual(before);
  });

  it('refuses a tampered upload, an unknown upload, and a signer the ground rules do not list', async () => {
    const bad = await uploadPackage(await world.pack({}), true);
    expect(await link.next('fix.upload-done', (m) => m.upload === bad.upload)).toMatchObject({
      ok: false,
      code: 'FIX_UPLOAD_INVALID',
    });
    await request('r3', 'fix.apply', bad);
    expect(link.of('action.error')[0]).toMatchObject({
      requestId: 'r3',
      code: 'FIX_UPLOAD_UNKNOWN',
    });
    const { generateSigningKeyPair } = await import('../../../platform/signing');
    const foreign = await uploadPackage(await world.pack({ key: generateSigningKeyPair() }));
    await link.next('fix.upload-done', (m) => m.upload === foreign.upload);
    await request('r4', 'fix.apply', foreign);
    expect(link.of('action.error').find((m) => m.requestId === 'r4')).toMatchObject({
      code: 'FIX_SIGNER_NOT_ALLOWED',
    });
    expect(prompts).toEqual([]);
  });

  it('keeps the pending message within one channel message for a fix of many long-named text files', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) {
      const path = `deep/${'n'.repeat(120)}/${'m'.repeat(80)}-${i}.txt`;
      files[path] = `line one ${i}\n"quoted" \\ line two\n`.repeat(40);
    }
    const ref = await uploadPackage(await world.pack({ files, add: Object.keys(files) }));
    await link.next('fix.upload-done', (m) => m.upload === ref.upload);
    await request('big', 'fix.apply', ref);
    const pending = link.of('action.pending')[0]!;
    expect(Buffer.byteLength(JSON.stringify(pending))).toBeLessThanOrEqual(MAX_JSON_MESSAGE_BYTES);
    expect(pending.preview.details).toMatchObject({ filesTotal: 300 });
    expect(Number(pending.preview.details!['filesOmitted'])).toBeGreaterThan(0);
    expect(link.of('action.result')[0]!.result).toMatchObject({ filesChanged: 300 });
  });

  it('refuses more bytes than declared, and deletes staged packages when the session closes', async () => {
    const bytes = await fsp.readFile(await world.pack({}));
    const ref = {
      upload: 901,
      size: bytes.length - 100,
      sha256: sha(bytes.subarray(0, bytes.length - 100)),
    };
    domain.handleMessage({ type: 'fix.upload', ...ref });
    await link.next('fix.upload-ready', (m) => m.upload === 901);
    link.deliver(901, bytes, bytes.length);
    expect(await link.next('fix.upload-done', (m) => m.upload === 901)).toMatchObject({
      ok: false,
      code: 'FIX_UPLOAD_INVALID',
    });
    const good = await uploadPackage(await world.pack({}));
    await link.next('fix.upload-done', (m) => m.upload === good.upload);
    expect(await fsp.readdir(join(world.dataDir, 'fixes', 'incoming'))).toHaveLength(1);
    await domain.close();
    expect(await fsp.readdir(join(world.dataDir, 'fixes', 'incoming'))).toEqual([]);
  });

  it('refuses a staged package whose bytes changed after the approver saw it', async () => {
    const before = await snapshot(world.target);
    const ref = await uploadPackage(await world.pack({}));
    await link.next('fix.upload-done');
    decide = async () => {
      // The package describe verified in full is no longer what apply reads.
      const incoming = join(world.dataDir, 'fixes', 'incoming');
      const [name] = await fsp.readdir(incoming);
      const file = join(incoming, name!);
      const bytes = await fsp.readFile(file);
      bytes[bytes.indexOf('threads = 8')] ^= 1;
      await fsp.writeFile(file, bytes);
      return { how: 'allow-once' };
    };
    await request('r6', 'fix.apply', ref);
    expect(link.of('action.error')[0]).toMatchObject({
      requestId: 'r6',
      code: 'FIX_UPLOAD_INVALID',
    });
    expect(await snapshot(world.target)).toEqual(before);
    expect((await loadRegistry(world.dataDir)).fixes).toEqual([]);
    expect(await fsp.readdir(join(world.dataDir, 'fixes', 'work'))).toEqual([]);
  });

  it('refuses when the target changed after the approver saw it', async () => {
    const ref = await uploadPackage(await world.pack({}));
    await link.next('fix.upload-done');
    decide = async () => {
      await fsp.writeFile(join(world.target, 'app.conf'), 'changed while the prompt was open\n');
      return { how: 'allow-once' };
    };
    await request('r5', 'fix.apply', ref);
    expect(link.of('action.error')[0]).toMatchObject({ code: 'FIX_TARGET_CHANGED' });
    expect(await fsp.readFile(join(world.target, 'bin/tool'), 'utf8')).toBe(
      '#!/bin/sh\necho tool 1.0\n',
    );
  });
});

describe('fix.rollback through the router', () => {
  it('asks with a rollback preview and restores the old files', async () => {
    const before = await snapshot(world.target);
    const ref = await uploadPackage(await world.pack({}));
    await link.next('fix.upload-done');
    await request('a1', 'fix.apply', ref);
    await request('b1', 'fix.rollback', { id: 'FIX-1' });
    const fix = prompts[1]!.preview.fix!;
    expect(fix).toMatchObject({
      rollback: true,
      fromVersion: '1.0.1',
      toVersion: 'none',
      checks: [],
    });
    expect(fix.files.map((f) => [f.path, f.op])).toEqual([
      ['app.conf', 'replace'],
      ['bin/tool', 'replace'],
      ['lib/new/helper.txt', 'remove'],
      ['lib/old.txt', 'add'],
    ]);
    expect(fix.files[0]!.change.diff).toContain('+threads = 4');
    expect(link.of('action.result')[1]!.result).toMatchObject({ id: 'FIX-1', filesRestored: 4 });
    expect(await snapshot(world.target)).toEqual(before);
  });

  it('an unknown fix id is an error with its code', async () => {
    await request('b2', 'fix.rollback', { id: 'NOPE' });
    expect(link.of('action.error')[0]).toMatchObject({ code: 'FIX_NOT_INSTALLED' });
  });
});
