// Test helper: a temporary world for fix tests — an agent data dir, a target
// tree, a release key, and packages built and signed with the real console
// tools (console/fixes/package-writer.ts).
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { signFixPackage } from '../../../console/fixes/package-signer';
import { buildFixPackage, type AuthorManifest } from '../../../console/fixes/package-writer';
import type { FixTrustBase } from '../../../main/fixes/fix-types';
import { generateSigningKeyPair, type SigningKeyPair } from '../../../platform/signing';
import { isAssentError } from '../../../protocol/errors';

export const sha = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

/** The target tree every world starts with. */
export const INITIAL_TARGET: Record<string, string> = {
  'app.conf': 'port = 8080\nthreads = 4\n',
  'bin/tool': '#!/bin/sh\necho tool 1.0\n',
  'lib/old.txt': 'obsolete\n',
  README: 'Example product\n',
};

export interface FixWorld {
  readonly root: string;
  readonly dataDir: string;
  readonly target: string;
  readonly key: SigningKeyPair;
  readonly trust: FixTrustBase;
  /** Builds and signs a package; `files` maps path to new content, or null to remove. */
  pack(options: PackOptions): Promise<string>;
  cleanup(): void;
}

export interface PackOptions {
  id?: string;
  version?: string;
  files?: Record<string, string | Buffer | null>;
  /** Paths among `files` that are new (op add); the others replace. */
  add?: string[];
  manifest?: Partial<AuthorManifest>;
  key?: SigningKeyPair;
  unsigned?: boolean;
}

/** Writes `files` (path → content) under `dir`. */
export async function writeTree(
  dir: string,
  files: Record<string, string | Buffer>,
): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, ...path.split('/'));
    await fsp.mkdir(dirname(full), { recursive: true });
    await fsp.writeFile(full, content);
    if (content.toString().startsWith('#!')) await fsp.chmod(full, 0o755);
  }
}

/** path → sha256 of every regular file under `dir` (sorted), plus directories as 'dir'. */
export async function snapshot(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of (await fsp.readdir(join(dir, prefix), { withFileTypes: true })).sort(
    (a, b) => (a.name < b.name ? -1 : 1),
  )) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      out[rel] = 'dir';
      Object.assign(out, await snapshot(dir, rel));
    } else if (entry.isSymbolicLink()) out[rel] = `link:${await fsp.readlink(join(dir, rel))}`;
    else out[rel] = sha(await fsp.readFile(join(dir, rel)));
  }
  return out;
}

export const DEFAULT_FIX_FILES: Record<string, string | null> = {
  'app.conf': 'port = 8080\nthreads = 8\n',
  'bin/tool': '#!/bin/sh\necho tool 1.1\n',
  'lib/old.txt': null,
  'lib/new/helper.txt': 'helper\n',
};

export async function makeWorld(
  options: { target?: string; dataDir?: string; key?: SigningKeyPair } = {},
): Promise<FixWorld> {
  const root = mkdtempSync(join(tmpdir(), 'assent-fix-'));
  const dataDir = options.dataDir ?? join(root, 'data');
  const target = options.target ?? join(root, 'target');
  await fsp.mkdir(dataDir, { recursive: true });
  await fsp.mkdir(target, { recursive: true });
  await writeTree(target, INITIAL_TARGET);
  const key = options.key ?? generateSigningKeyPair();
  const trust: FixTrustBase = {
    signers: [{ name: 'Acme Release', publicKey: key.publicKey }],
    agentVersion: '1.0.0',
    deviceKey: generateSigningKeyPair().publicKey,
    customer: 'Example Corp',
  };
  let counter = 0;
  const world: FixWorld = {
    root,
    dataDir,
    target,
    key,
    trust,
    async pack(opts) {
      counter += 1;
      const dir = join(root, `payload-${counter}`);
      const files = opts.files ?? DEFAULT_FIX_FILES;
      const add = new Set(opts.add ?? (opts.files ? [] : ['lib/new/helper.txt']));
      await fsp.mkdir(dir, { recursive: true });
      const present: Record<string, string | Buffer> = {};
      for (const [p, c] of Object.entries(files)) if (c !== null) present[p] = c;
      await writeTree(dir, present);
      const author: AuthorManifest = {
        id: opts.id ?? `FIX-${counter}`,
        product: 'example',
        version: opts.version ?? `1.0.${counter}`,
        fixKind: 'workaround',
        description: 'Raise the thread count and update the tool.',
        targetRoot: target,
        minAgentVersion: '0.1.0',
        expiresAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
        files: Object.entries(files).map(([path, c]) => ({
          path,
          op: c === null ? 'remove' : add.has(path) ? 'add' : 'replace',
        })),
        ...opts.manifest,
      };
      const out = join(root, `fix-${counter}.assentfix`);
      await buildFixPackage(dir, author, out);
      if (!opts.unsigned) await signFixPackage(out, opts.key ?? key, 'Acme Release', ['installer']);
      return out;
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  return world;
}

/** The AssentError code `promise` rejects with, or 'ACCEPTED' when it resolves (anything else is rethrown). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAssentError(err)) return err.code;
    throw err;
  }
  return 'ACCEPTED';
}
