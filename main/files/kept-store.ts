// The restorable trash and the backups of overwritten versions, kept in the
// agent's data directory (issue 3: delete into a restorable trash; a backup
// of every overwritten version that `assent-agent files restore` can bring
// back). Each entry is a directory `<kind>/<id>/` holding `item` (the file or
// directory itself) and `meta.json` (KeptEntry), written atomically after
// the item, so an entry without meta.json is an interrupted one and ignored.
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemError, syncDirectory, writeFileAtomic } from '../../platform/atomic-file';
import { AssentError } from '../../protocol/errors';
import { FILE_CHUNK_BYTES, KeptEntry } from '../../protocol/files';

export type KeptKind = KeptEntry['kind'];

/** What a caller records about a kept entry (the store adds id, kind and time). */
export type KeptFacts = Omit<KeptEntry, 'id' | 'kind' | 'keptAt'>;

function newId(kind: KeptKind): string {
  return `${kind}-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}

/** Moves `from` to `to`: a rename on one file system, else a copy (links kept as links) and a removal. */
export async function moveEntry(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await fsp.cp(from, to, {
      recursive: true,
      verbatimSymlinks: true,
      errorOnExist: true,
      force: false,
      preserveTimestamps: true,
    });
    await fsp.rm(from, { recursive: true, force: true });
  }
}

/** Trash and backups under `<dataDir>/files/`. */
export class KeptStore {
  private readonly base: string;

  constructor(dataDir: string) {
    this.base = join(dataDir, 'files');
  }

  private entryDir(kind: KeptKind, id: string): string {
    return join(this.base, kind === 'trash' ? 'trash' : 'backups', id);
  }

  private async create(kind: KeptKind): Promise<{ id: string; dir: string }> {
    const id = newId(kind);
    const dir = this.entryDir(kind, id);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    return { id, dir };
  }

  private async seal(
    kind: KeptKind,
    id: string,
    dir: string,
    facts: KeptFacts,
  ): Promise<KeptEntry> {
    const entry = KeptEntry.parse({ ...facts, id, kind, keptAt: new Date().toISOString() });
    await writeFileAtomic(join(dir, 'meta.json'), Buffer.from(JSON.stringify(entry, null, 2)));
    return entry;
  }

  /** Copies the content of an opened file into a new backup; returns the entry (with the content's hash). */
  async backup(
    source: FileHandle,
    facts: Omit<KeptFacts, 'sha256' | 'size' | 'type'>,
  ): Promise<KeptEntry> {
    const { id, dir } = await this.create('backup');
    try {
      const hash = createHash('sha256');
      let size = 0;
      const out = await fsp.open(join(dir, 'item'), 'wx', 0o600);
      try {
        const buf = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
        for (;;) {
          const { bytesRead } = await source.read(buf, 0, buf.length, size);
          if (bytesRead === 0) break;
          hash.update(buf.subarray(0, bytesRead));
          await out.write(buf, 0, bytesRead);
          size += bytesRead;
        }
        await out.sync();
      } finally {
        await out.close();
      }
      return await this.seal('backup', id, dir, {
        ...facts,
        type: 'file',
        size,
        sha256: hash.digest('hex'),
      });
    } catch (err) {
      await fsp.rm(dir, { recursive: true, force: true });
      throw fileSystemError(err, 'keeping a backup of the old version');
    }
  }

  /** Moves an entry (file, directory or link) into the trash. `source` may be descriptor-relative. */
  async trash(source: string, facts: KeptFacts): Promise<KeptEntry> {
    const { id, dir } = await this.create('trash');
    try {
      await moveEntry(source, join(dir, 'item'));
    } catch (err) {
      await fsp.rm(dir, { recursive: true, force: true });
      throw fileSystemError(err, 'moving the entry to the trash');
    }
    await syncDirectory(dir);
    return this.seal('trash', id, dir, facts);
  }

  /** Every sealed entry of a kind (or both), newest first. */
  async list(kind?: KeptKind): Promise<KeptEntry[]> {
    const kinds: KeptKind[] = kind ? [kind] : ['trash', 'backup'];
    const entries: KeptEntry[] = [];
    for (const k of kinds) {
      const root = join(this.base, k === 'trash' ? 'trash' : 'backups');
      const names = await fsp.readdir(root).catch(() => [] as string[]);
      for (const name of names) {
        const text = await fsp.readFile(join(root, name, 'meta.json'), 'utf8').catch(() => null);
        if (text === null) continue;
        const parsed = KeptEntry.safeParse(JSON.parse(text));
        if (parsed.success && parsed.data.id === name) entries.push(parsed.data);
      }
    }
    return entries.sort((a, b) => b.keptAt.localeCompare(a.keptAt) || b.id.localeCompare(a.id));
  }

  /** One entry and the path of its item; FILE_TRASH_NOT_FOUND when unknown. */
  async get(id: string): Promise<{ entry: KeptEntry; item: string }> {
    const kind: KeptKind | null = id.startsWith('trash-')
      ? 'trash'
      : id.startsWith('backup-')
        ? 'backup'
        : null;
    if (kind && /^[a-z]+-[0-9a-z-]{8,64}$/.test(id)) {
      const dir = this.entryDir(kind, id);
      const text = await fsp.readFile(join(dir, 'meta.json'), 'utf8').catch(() => null);
      const parsed = text === null ? null : KeptEntry.safeParse(JSON.parse(text));
      if (parsed?.success) {
        const item = join(dir, 'item');
        const st = await fsp.lstat(item).catch(() => null);
        if (st) return { entry: parsed.data, item };
      }
    }
    throw new AssentError('FILE_TRASH_NOT_FOUND', `No trash or backup entry ${id}.`, {
      details: { id },
    });
  }

  /** Opens a backup's content for reading. */
  async openBackup(id: string): Promise<{ entry: KeptEntry; handle: FileHandle }> {
    const { entry, item } = await this.get(id);
    const handle = await fsp.open(item, constants.O_RDONLY | constants.O_NOFOLLOW);
    return { entry, handle };
  }

  /** Removes an entry (after its item was moved back). */
  async remove(id: string): Promise<void> {
    const kind: KeptKind | null = id.startsWith('trash-')
      ? 'trash'
      : id.startsWith('backup-')
        ? 'backup'
        : null;
    if (!kind || !/^[a-z]+-[0-9a-z-]{8,64}$/.test(id))
      throw new AssentError('FILE_TRASH_NOT_FOUND', `No trash or backup entry ${id}.`, {
        details: { id },
      });
    await fsp.rm(this.entryDir(kind, id), { recursive: true, force: true });
  }
}
