// Small JSON documents (public keys, certificates, lists): read with a schema,
// written atomically so a crash leaves the old or the new document.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { AssentError } from '../protocol/errors';

/** Reads and validates a JSON file; undefined when it does not exist. */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AssentError('IO_FAILED', `Could not read ${file}.`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AssentError('CONFIG_INVALID', `${file} is not valid JSON.`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AssentError(
      'CONFIG_INVALID',
      `${file} does not match its schema: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
    );
  }
  return parsed.data;
}

/** Writes `value` as JSON atomically (temp file in the same folder, fsync, rename, fsync folder). */
export function writeJsonFileAtomic(file: string, value: unknown, mode = 0o600): void {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', mode);
    try {
      writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new AssentError(
      code === 'ENOSPC' ? 'DISK_FULL' : 'IO_FAILED',
      `Could not write ${file}.`,
      { cause },
    );
  }
}
