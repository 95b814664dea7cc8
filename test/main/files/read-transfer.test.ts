// Reads in flight: a revoked session grant or a cancel stops the stream at
// once; the read resumes from an offset with the whole-file hash.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES } from '../../../protocol/files';
import { createFilesWorld, sha256, type FilesWorld } from './files-world';

const SIZE = 64 * FILE_CHUNK_BYTES;

describe('reads in flight', () => {
  let w: FilesWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  async function bigFile(world: FilesWorld): Promise<{ path: string; data: Buffer }> {
    const data = Buffer.alloc(SIZE);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32BE(i, i);
    const path = join(world.root, 'big.bin');
    await fsp.writeFile(path, data);
    return { path, data };
  }

  it('revoking the session grant mid-transfer stops a read running under it', async () => {
    w = await createFilesWorld({
      decision: (world) => ({
        how: 'allow-session',
        scope: { kind: 'file.read', pathPrefix: world.root },
      }),
    });
    const world = w;
    const { path } = await bigFile(world);
    await fsp.writeFile(join(world.root, 'small.txt'), 'small');
    // The approver allows reads for the session; the big read then runs under that grant.
    expect(
      (await world.request('file.read', { path: join(world.root, 'small.txt'), streamId: 19 }))
        .type,
    ).toBe('action.result');
    expect(world.engine.grants()).toHaveLength(1);
    world.link.onChunk = (_id, total) => {
      if (total >= 4 * FILE_CHUNK_BYTES && world.engine.grants().length > 0)
        world.engine.revoke(world.engine.grants()[0]!.id);
    };
    const final = await world.request('file.read', { path, streamId: 21 });
    expect(final).toMatchObject({ type: 'action.error', code: 'FILE_TRANSFER_STOPPED' });
    expect(world.link.received(21).length).toBeLessThanOrEqual(6 * FILE_CHUNK_BYTES);
    expect(world.link.sent.some((m) => m.type === 'grant.revoked')).toBe(true);
    // The grant is gone: the next read asks the approver again.
    world.link.onChunk = undefined;
    const again = await world.request('file.read', { path, streamId: 23 });
    expect(again.type).toBe('action.result');
    expect(world.prompts).toHaveLength(2);
  });

  it('the engineer cancelling mid-transfer stops the read', async () => {
    w = await createFilesWorld();
    const world = w;
    const { path } = await bigFile(world);
    world.link.onChunk = (_id, total) => {
      if (total === 2 * FILE_CHUNK_BYTES) {
        const pending = world.link.sent.find((m) => m.type === 'action.allowed');
        if (pending)
          void world.router.handle({ type: 'action.cancel', requestId: pending.requestId });
      }
    };
    const final = await world.request('file.read', { path, streamId: 25 });
    expect(final).toMatchObject({ type: 'action.error', code: 'FILE_TRANSFER_STOPPED' });
    expect(world.link.received(25).length).toBeLessThan(SIZE);
  });

  it('the session ending mid-transfer stops the read', async () => {
    w = await createFilesWorld();
    const world = w;
    const { path } = await bigFile(world);
    world.link.onChunk = (_id, total) => {
      if (total === 3 * FILE_CHUNK_BYTES) world.link.end();
    };
    await world.router.handle({
      type: 'action.request',
      requestId: 'ending',
      kind: 'file.read',
      params: { path, streamId: 27 },
    });
    expect(world.link.received(27).length).toBe(3 * FILE_CHUNK_BYTES);
    expect(world.link.sent.some((m) => m.type === 'action.result')).toBe(false);
  });

  it('a dropped read resumes from the received size with the right final hash', async () => {
    w = await createFilesWorld();
    const world = w;
    const { path, data } = await bigFile(world);
    world.link.onChunk = (_id, total) => {
      if (total >= 10 * FILE_CHUNK_BYTES) world.link.onChunk = undefined;
      if (total === 10 * FILE_CHUNK_BYTES) throw new Error('connection dropped');
    };
    const first = await world.request('file.read', { path, streamId: 29 });
    expect(first.type).toBe('action.error');
    const partial = world.link.received(29);
    const resumed = await world.request('file.read', {
      path,
      offset: partial.length,
      streamId: 31,
    });
    expect(resumed).toMatchObject({
      type: 'action.result',
      result: { offset: partial.length, sha256: sha256(data) },
    });
    expect(sha256(Buffer.concat([partial, world.link.received(31)]))).toBe(sha256(data));
  });
});
