// Builds `.assentfix` packages (issue 5): `fix build` walks a payload
// directory, fills sizes and hashes into the author's manifest and writes
// the tar (package-signer.ts adds the signature). Files are streamed, never
// loaded whole.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import { AssentError } from '../../protocol/errors';
import { systemErrorReason } from '../../platform/system-error';
import {
  FIX_MANIFEST_ENTRY,
  FIX_PAYLOAD_PREFIX,
  FixManifest,
  type FixFileEntry,
} from '../../protocol/fixes';

/** One file as the author lists it in m.json (size and hash are filled in by the build). */
export interface AuthorFileEntry {
  path: string;
  op: 'add' | 'replace' | 'remove';
  mode?: number;
}

/** The author's m.json: the manifest without sizes and hashes; `files` may be omitted (every payload file then replaces). */
export type AuthorManifest = Omit<FixManifest, 'files' | 'kind' | 'v' | 'createdAt'> & {
  files?: AuthorFileEntry[];
  createdAt?: string;
};

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, root, out);
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
    else
      throw new AssentError(
        'FIX_PATH_UNSAFE',
        `${full} is not a regular file or directory; fixes hold regular files only.`,
      );
  }
}

async function hashOf(path: string): Promise<{ sha256: string; size: number; mode: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const st = await fsp.stat(path);
  return { sha256: hash.digest('hex'), size, mode: st.mode & 0o111 ? 0o755 : 0o644 };
}

/** Writes one regular-file entry; the body is bytes, a file path, or chunks (streamed with backpressure). */
export async function entryWrite(
  tar: Pack,
  header: { name: string; size: number; mode?: number },
  body: Buffer | string | AsyncIterable<Buffer>,
): Promise<void> {
  let done!: () => void;
  let failed!: (err: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const sink = tar.entry(
    {
      name: header.name,
      size: header.size,
      mode: header.mode ?? 0o644,
      mtime: new Date(0),
      type: 'file',
    },
    (err) => (err ? failed(err) : done()),
  );
  if (Buffer.isBuffer(body)) {
    sink.end(body);
  } else {
    const chunks: AsyncIterable<Buffer> = typeof body === 'string' ? createReadStream(body) : body;
    for await (const chunk of chunks) {
      if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
    }
    (sink as unknown as NodeJS.WritableStream).end();
  }
  await finished;
}

/** Writes a tar to `out` atomically (a partial file is removed on failure). */
export async function writeArchive(out: string, fill: (tar: Pack) => Promise<void>): Promise<void> {
  const temp = join(dirname(out), `.${basename(out)}.partial`);
  const tar = pack();
  const writing = pipeline(
    tar as unknown as NodeJS.ReadableStream,
    createWriteStream(temp, { mode: 0o644 }),
  );
  try {
    await fill(tar);
    tar.finalize();
    await writing;
    await fsp.rename(temp, out);
  } catch (err) {
    tar.destroy();
    await writing.catch(() => undefined);
    await fsp.rm(temp, { force: true });
    throw err;
  }
}

/** Builds the manifest from the author's input and the payload directory (sizes, hashes, modes). */
export async function buildManifest(
  payloadDir: string,
  author: AuthorManifest,
  now = new Date(),
): Promise<FixManifest> {
  const found: string[] = [];
  const payload = await fsp.stat(payloadDir).catch((cause: unknown) => {
    throw new AssentError(
      'IO_FAILED',
      `Cannot read the payload folder ${payloadDir}: ${systemErrorReason(cause)}.`,
      { cause },
    );
  });
  if (!payload.isDirectory())
    throw new AssentError(
      'USAGE',
      `${payloadDir} is not a folder: fix build takes the folder whose files the fix installs.`,
    );
  await walk(payloadDir, payloadDir, found);
  found.sort();
  const listed = new Map((author.files ?? []).map((f) => [f.path, f]));
  const files: FixFileEntry[] = [];
  for (const path of found) {
    const facts = await hashOf(join(payloadDir, ...path.split('/')));
    const item = listed.get(path);
    if (item?.op === 'remove')
      throw new AssentError('USAGE', `${path} is in the payload but m.json removes it.`);
    files.push({
      op: item?.op ?? 'replace',
      path,
      size: facts.size,
      sha256: facts.sha256,
      mode: item?.mode ?? facts.mode,
    } as FixFileEntry);
    listed.delete(path);
  }
  for (const item of listed.values()) {
    if (item.op !== 'remove')
      throw new AssentError(
        'USAGE',
        `m.json lists ${item.path} but the payload directory has no such file.`,
      );
    files.push({ op: 'remove', path: item.path });
  }
  const parsed = FixManifest.safeParse({
    ...author,
    kind: 'assent-fix-manifest',
    v: 1,
    createdAt: author.createdAt ?? now.toISOString(),
    files,
  });
  if (!parsed.success)
    throw new AssentError('CONFIG_INVALID', `The manifest is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** Writes an unsigned package: manifest.json, then the payload files. Returns the manifest. */
export async function buildFixPackage(
  payloadDir: string,
  author: AuthorManifest,
  out: string,
  now = new Date(),
): Promise<FixManifest> {
  const manifest = await buildManifest(payloadDir, author, now);
  const text = JSON.stringify(manifest, null, 2) + '\n';
  await writeArchive(out, async (tar) => {
    await entryWrite(
      tar,
      { name: FIX_MANIFEST_ENTRY, size: Buffer.byteLength(text) },
      Buffer.from(text),
    );
    for (const file of manifest.files) {
      if (file.op === 'remove') continue;
      await entryWrite(
        tar,
        { name: FIX_PAYLOAD_PREFIX + file.path, size: file.size, mode: file.mode },
        join(payloadDir, ...file.path.split('/')),
      );
    }
  });
  return manifest;
}
