// The staged-upload receiver (main/transfer) that file and fix uploads share:
// an upload announced with or without its hash is received in order and
// reported with the hash of what arrived;
// an announced hash that does not match fails it and leaves nothing staged.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssentError } from '../../../protocol/errors';
import { UploadReceiver } from '../../../main/transfer/upload-receiver';
import { MemoryLink } from '../../support/memory-link';

// tmpfs when there is one: the staging fsync does not wait for a shared, busy disk.
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let link: MemoryLink;
let receiver: UploadReceiver;
type Done = { upload: number; code: string | null; sha256?: string | undefined };
/** What the engineer sends once an upload is ready, and who waits for its end. */
const sending = new Map<number, { bytes: Buffer; done: (d: Done) => void }>();

beforeEach(async () => {
  dir = await fsp.mkdtemp(join(scratch, 'assent-upload-receiver-'));
  link = new MemoryLink();
  sending.clear();
  const problem = () => new AssentError('FILE_UPLOAD_INVALID');
  receiver = new UploadReceiver({
    link,
    dir: join(dir, 'uploads'),
    extension: '.part',
    ttlMs: 60_000,
    maxStaged: 4,
    syncWhenDone: true,
    problems: {
      inUse: problem,
      tooMany: problem,
      tooLarge: () => null,
      overflow: problem,
      mismatch: problem,
      stageFailed: 'not staged',
    },
    // Ready: the engineer sends the bytes, in chunks of an odd size.
    sendReady: (upload) => link.deliver(upload, sending.get(upload)!.bytes, 37_000),
    sendDone: (upload, failure, sha256) =>
      sending.get(upload)!.done({ upload, code: failure?.code ?? null, sha256 }),
  });
});

afterEach(async () => {
  link.end();
  await receiver.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

function receive(upload: number, bytes: Buffer, announced?: string): Promise<Done> {
  return new Promise((resolve) => {
    sending.set(upload, { bytes, done: resolve });
    receiver.accept({ upload, size: bytes.length, sha256: announced });
  });
}

describe('UploadReceiver', () => {
  it('receives an upload announced without its hash and reports the hash of what arrived', async () => {
    const bytes = Buffer.alloc(1_000_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    const result = await receive(3, bytes);
    expect(result).toEqual({ upload: 3, code: null, sha256: sha(bytes) });
    const staged = receiver.staged(3)!;
    expect(staged.sha256).toBe(sha(bytes));
    expect((await fsp.readFile(staged.file)).equals(bytes)).toBe(true);
  });

  it('fails an upload whose bytes do not match the announced hash, and keeps nothing', async () => {
    const result = await receive(5, Buffer.alloc(300_000, 1), sha(Buffer.alloc(300_000, 2)));
    expect(result.code).toBe('FILE_UPLOAD_INVALID');
    expect(receiver.staged(5)).toBeUndefined();
    expect(await fsp.readdir(join(dir, 'uploads'))).toEqual([]);
  });
});
