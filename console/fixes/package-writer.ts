// Builds and signs `.assentfix` packages (issue 5): `fix build` walks a
// payload directory, fills sizes and hashes into the author's manifest and
// writes the tar; `fix sign` adds the release signature over the exact
// manifest bytes. Files are streamed, never loaded whole.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract, pack, type Pack } from 'tar-stream';
import { AssentError } from '../../protocol/errors';
import {
  FIX_MANIFEST_ENTRY,
  FIX_PAYLOAD_PREFIX,
  FIX_SIGNATURE_ENTRY,
  FixManifest,
  FixSignature,
  MAX_FIX_MANIFEST_BYTES,
  type FixFileEntry,
} from '../../protocol/fixes';
import { SIGNING_DOMAINS, type Role } from '../../protocol/identity';
import { signPayload, type SigningKeyPair } from '../../platform/signing';

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
async function entryWrite(
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

async function writeArchive(out: string, fill: (tar: Pack) => Promise<void>): Promise<void> {
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

/** The release signature envelope over the exact manifest bytes. */
export function signManifestBytes(
  manifestBytes: Buffer,
  key: SigningKeyPair,
  signer: string,
): FixSignature {
  return FixSignature.parse({
    kind: 'assent-fix-signature',
    v: 1,
    signer,
    publicKey: key.publicKey,
    signature: signPayload(
      key.privateKey,
      SIGNING_DOMAINS.fixRelease,
      manifestBytes.toString('utf8'),
    ),
  });
}

/**
 * Signs a built package in place (installer role only): checks every payload
 * file against the manifest, then rewrites the archive with `manifest.sig`
 * after `manifest.json` (a previous signature is replaced).
 */
export async function signFixPackage(
  file: string,
  key: SigningKeyPair,
  signer: string,
  roles: readonly Role[],
): Promise<FixManifest> {
  if (!roles.includes('installer'))
    throw new AssentError(
      'FIX_SIGNER_ROLE_MISSING',
      'Only an engineer with the installer role may sign fix packages.',
    );
  let manifest: FixManifest | undefined;
  let manifestBytes: Buffer | undefined;
  await writeArchive(`${file}.signed`, async (out) => {
    const input = extract();
    const source = createReadStream(file);
    let feedError: unknown;
    const feeding = pipeline(source, input as unknown as NodeJS.WritableStream).catch(
      (err: unknown) => {
        feedError = err;
      },
    );
    try {
      await copyEntries();
    } catch (err) {
      source.destroy();
      input.destroy();
      await feeding;
      throw err;
    }
    await feeding;
    if (feedError !== undefined)
      throw new AssentError('FIX_PACKAGE_INVALID', 'The package is not a valid archive.', {
        cause: feedError,
      });
    async function copyEntries(): Promise<void> {
      for await (const raw of input) {
        const entry = raw as typeof raw & AsyncIterable<Buffer>;
        const name = entry.header.name;
        if (name === FIX_SIGNATURE_ENTRY) {
          for await (const _chunk of entry) void _chunk;
          continue;
        }
        if (manifest === undefined) {
          if (name !== FIX_MANIFEST_ENTRY)
            throw new AssentError('FIX_PACKAGE_INVALID', 'The first entry must be manifest.json.');
          const parts: Buffer[] = [];
          let size = 0;
          for await (const chunk of entry) {
            size += chunk.length;
            if (size > MAX_FIX_MANIFEST_BYTES)
              throw new AssentError('FIX_PACKAGE_INVALID', 'manifest.json is too large.');
            parts.push(chunk);
          }
          const body = Buffer.concat(parts);
          try {
            manifest = FixManifest.parse(JSON.parse(body.toString('utf8')));
          } catch (cause) {
            throw new AssentError(
              'FIX_PACKAGE_INVALID',
              'manifest.json is not a valid fix manifest.',
              { cause },
            );
          }
          manifestBytes = body;
          const sig = Buffer.from(JSON.stringify(signManifestBytes(body, key, signer)) + '\n');
          await entryWrite(out, { name: FIX_MANIFEST_ENTRY, size: body.length }, body);
          await entryWrite(out, { name: FIX_SIGNATURE_ENTRY, size: sig.length }, sig);
          continue;
        }
        const path = name.slice(FIX_PAYLOAD_PREFIX.length);
        const listed = manifest.files.find((f) => f.path === path);
        if (
          !name.startsWith(FIX_PAYLOAD_PREFIX) ||
          !listed ||
          listed.op === 'remove' ||
          listed.size !== entry.header.size
        )
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `${name} is not in the manifest with that size; rebuild the package.`,
          );
        const hash = createHash('sha256');
        async function* hashing(): AsyncGenerator<Buffer> {
          for await (const chunk of entry) {
            hash.update(chunk);
            yield chunk;
          }
        }
        await entryWrite(out, { name, size: listed.size, mode: listed.mode }, hashing());
        if (hash.digest('hex') !== listed.sha256)
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `${name} does not match its hash in the manifest; rebuild the package.`,
          );
      }
    }
  });
  if (!manifest || !manifestBytes)
    throw new AssentError('FIX_PACKAGE_INVALID', 'The package has no manifest.');
  await fsp.rename(`${file}.signed`, file);
  return manifest;
}
