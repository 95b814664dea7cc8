// A real agent-side world for file action tests: temp root and an outside
// directory with a sentinel file, the real ActionRouter, ConsentEngine,
// EffectiveRules and AuditLog, the file handlers registered as a session
// would, and an in-memory PeerLink that captures stream bytes and lets the
// test push engineer streams (uploads).
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionRouter } from '../../../main/actions/action-router';
import { AuditLog } from '../../../main/audit/audit-log';
import { ConsentEngine, type ConsentPrompt } from '../../../main/consent/consent-engine';
import { registerFileActions, type FileDomain } from '../../../main/files/file-actions';
import type { FileDeps } from '../../../main/files/file-handler';
import type { PathSyntaxPlatform } from '../../../main/files/path-syntax';
import { EffectiveRules } from '../../../main/rules/effective-rules';
import type { ActionKind, ConsentDecision } from '../../../protocol/consent';
import { FILE_CHUNK_BYTES } from '../../../protocol/files';
import { GroundRules } from '../../../protocol/ground-rules';
import type { ChannelMessage } from '../../../protocol/wire/messages';
import { MemoryLink } from '../../support/memory-link';

export const sha256 = (b: Uint8Array | string): string =>
  createHash('sha256').update(b).digest('hex');

export interface WorldOptions {
  readonly platform?: PathSyntaxPlatform;
  /** Runs when a prompt appears, before the test approver allows it (races are staged here). */
  readonly onPrompt?: (prompt: ConsentPrompt, world: FilesWorld) => void | Promise<void>;
  /** Deny instead of allow. */
  readonly deny?: boolean;
  readonly rules?: Partial<Record<keyof GroundRules, unknown>>;
  readonly writeHooks?: FileDeps['writeHooks'];
  readonly now?: () => number;
  /** Use this directory as the base (a restart after a crash reuses it); default a new temp dir. */
  readonly base?: string;
  /** Put the root here instead of `<base>/root` (a small tmpfs). */
  readonly root?: string;
  /** The approver's answer; default allow once. */
  readonly decision?: ConsentDecision | ((world: FilesWorld) => ConsentDecision);
}

export type Final = Extract<
  ChannelMessage,
  { type: 'action.result' | 'action.error' | 'action.denied' }
>;

export interface FilesWorld {
  readonly base: string;
  readonly root: string;
  readonly outside: string;
  readonly sentinel: string;
  readonly dataDir: string;
  readonly link: MemoryLink;
  readonly engine: ConsentEngine;
  readonly router: ActionRouter;
  readonly domain: FileDomain;
  readonly audit: AuditLog;
  readonly prompts: ConsentPrompt[];
  request(kind: ActionKind, params: Record<string, unknown>): Promise<Final>;
  /**
   * Stages `bytes` (file.upload, the stream, file.upload-done). Without
   * `announceHash: false` the announcement names the hash; either way the
   * hash returned is the one the agent reported for what it received.
   */
  upload(
    bytes: Buffer,
    options?: { announceHash?: boolean },
  ): Promise<{ upload: number; size: number; sha256: string }>;
  close(): Promise<void>;
}

export const SENTINEL_BYTES = Buffer.from('sentinel: must never change\n');

let counter = 0;

export async function createFilesWorld(options: WorldOptions = {}): Promise<FilesWorld> {
  const base = options.base ?? (await fsp.mkdtemp(join(tmpdir(), 'assent-files-')));
  const root = options.root ?? join(base, 'root');
  const outside = join(base, 'outside');
  const dataDir = join(base, 'data');
  await Promise.all([root, outside, dataDir].map((d) => fsp.mkdir(d, { recursive: true })));
  const sentinel = join(outside, 'sentinel.txt');
  if (!options.base) await fsp.writeFile(sentinel, SENTINEL_BYTES);
  const rules = new EffectiveRules(
    GroundRules.parse({
      kind: 'assent-ground-rules',
      v: 1,
      title: 'Files test',
      vendor: 'Acme',
      customer: 'Example Corp',
      revision: 1,
      readableRoots: [root],
      writableRoots: [root],
      deniedGlobs: [],
      maxReadBytes: 2 * 1024 ** 3,
      maxWriteBytes: 256 * 1024 ** 2,
      terminal: 'off',
      fixSigners: [],
      sessionMaxMinutes: 120,
      standingConsents: [],
      consentTimeoutSeconds: 120,
      recordSessions: false,
      ...options.rules,
    }),
    null,
    { platform: 'posix' },
  );
  const audit = await AuditLog.open(dataDir, { durable: false });
  const link = new MemoryLink({ sessionId: 's-files', endReason: new Error('session ended') });
  const engine = new ConsentEngine({ sessionId: link.sessionId, rules, audit, timeoutMs: 10_000 });
  const router = new ActionRouter({ engine, link, audit });
  const domain = registerFileActions(router, {
    dataDir,
    rules,
    audit,
    link,
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.writeHooks ? { writeHooks: options.writeHooks } : {}),
  });
  const prompts: ConsentPrompt[] = [];
  let nextUpload = 1;
  const world: FilesWorld = {
    base,
    root,
    outside,
    sentinel,
    dataDir,
    link,
    engine,
    router,
    domain,
    audit,
    prompts,
    async request(kind, params) {
      const requestId = `r${++counter}`;
      await router.handle({ type: 'action.request', requestId, kind, params });
      const final = link.sent.find(
        (m): m is Final =>
          (m.type === 'action.result' || m.type === 'action.error' || m.type === 'action.denied') &&
          m.requestId === requestId,
      );
      if (!final) throw new Error(`no final message for ${requestId}`);
      return final;
    },
    async upload(bytes, { announceHash = true } = {}) {
      const upload = (nextUpload += 2);
      const digest = sha256(bytes);
      domain.handleMessage({
        type: 'file.upload',
        upload,
        size: bytes.length,
        ...(announceHash ? { sha256: digest } : {}),
      });
      const ready = await link.waitFor(
        (m): m is Extract<ChannelMessage, { type: 'file.upload-ready' | 'file.upload-done' }> =>
          (m.type === 'file.upload-ready' || m.type === 'file.upload-done') && m.upload === upload,
      );
      if (ready.type === 'file.upload-done') throw new Error(`upload refused: ${ready.code}`);
      for (let i = 0; i < bytes.length; i += FILE_CHUNK_BYTES)
        link.push(upload, bytes.subarray(i, i + FILE_CHUNK_BYTES));
      const done = await link.waitFor(
        (m): m is Extract<ChannelMessage, { type: 'file.upload-done' }> =>
          m.type === 'file.upload-done' && m.upload === upload,
      );
      if (!done.ok) throw new Error(`upload failed: ${done.code}`);
      if (done.sha256 === undefined) throw new Error('upload-done without the received hash');
      return { upload, size: bytes.length, sha256: done.sha256 };
    },
    async close() {
      engine.close('test over');
      link.end();
      await domain.close();
      await audit.close();
      if (!options.base) await fsp.rm(base, { recursive: true, force: true });
    },
  };
  engine.on('prompt', (prompt: ConsentPrompt) => {
    prompts.push(prompt);
    void (async () => {
      await options.onPrompt?.(prompt, world);
      const chosen =
        typeof options.decision === 'function' ? options.decision(world) : options.decision;
      const decision: ConsentDecision =
        chosen ?? (options.deny ? { how: 'deny', reason: 'not now' } : { how: 'allow-once' });
      engine.decide(prompt.id, decision, { approver: 'tester' });
    })();
  });
  return world;
}

/** Byte-for-byte state of the outside directory (names, sizes, hashes, mtimes). */
export async function outsideSnapshot(world: FilesWorld): Promise<string> {
  const names = (await fsp.readdir(world.outside)).sort();
  const parts: string[] = [];
  for (const name of names) {
    const path = join(world.outside, name);
    const st = await fsp.lstat(path);
    parts.push(
      `${name}:${st.mode}:${st.size}:${st.mtimeMs}:${st.isFile() ? sha256(await fsp.readFile(path)) : ''}`,
    );
  }
  return parts.join('\n');
}
