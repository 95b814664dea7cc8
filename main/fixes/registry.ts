// The installed-fixes registry: `<dataDir>/fixes/installed.json`, written
// atomically. It is what `assent-agent fix list` shows, what the version
// check (rollback attack) compares against, and where a later rollback finds
// the backups. Every mutation is idempotent so journal recovery can replay it.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AssentError } from '../../protocol/errors';
import { compareSemVer } from '../../protocol/fixes';
import { writeFileAtomic } from '../../platform/atomic-file';

/** One file a fix changed, with what was there before and what it installed. */
export const FixFileRecord = z.object({
  path: z.string(),
  op: z.enum(['add', 'replace', 'remove']),
  /** sha256 of the file before the fix; null when it did not exist. */
  oldSha256: z.string().nullable(),
  /** sha256 of the file after the fix; null when the fix removes it. */
  newSha256: z.string().nullable(),
  /** Where the old file is kept (absolute, in the fix's work directory); null for adds. */
  backup: z.string().nullable(),
  /** Where the new file is staged before the swap (absolute); null for removes. */
  staged: z.string().nullable(),
});
export type FixFileRecord = z.infer<typeof FixFileRecord>;

export const InstalledFix = z.object({
  id: z.string(),
  product: z.string(),
  version: z.string(),
  fixKind: z.enum(['workaround', 'permanent']),
  description: z.string(),
  targetRoot: z.string(),
  /** Holds staged files and backups; same file system as the target. */
  workDir: z.string(),
  /** Directories the fix created (outermost first); removed again on rollback when empty. */
  createdDirs: z.array(z.string()),
  installedAt: z.string(),
  /** Who approved: the decision basis and, when known, the approver and engineer. */
  approvedBy: z.string(),
  signer: z.string(),
  signerFingerprint: z.string(),
  packageSha256: z.string(),
  manifestSha256: z.string(),
  files: z.array(FixFileRecord),
  status: z.enum(['active', 'superseded', 'rolled-back']),
  supersedes: z.string().optional(),
  supersededBy: z.string().optional(),
  rolledBackAt: z.string().optional(),
});
export type InstalledFix = z.infer<typeof InstalledFix>;

const RegistryFile = z.object({ v: z.literal(1), fixes: z.array(InstalledFix) });
export type FixRegistry = z.infer<typeof RegistryFile>;

/** `<dataDir>/fixes`, created 0700. */
export async function fixesDir(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'fixes');
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Reads the registry (empty when there is none yet). */
export async function loadRegistry(dataDir: string): Promise<FixRegistry> {
  let text: string;
  try {
    text = await fsp.readFile(join(dataDir, 'fixes', 'installed.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { v: 1, fixes: [] };
    throw new AssentError('IO_FAILED', 'The installed-fixes registry cannot be read.', {
      cause: err,
    });
  }
  try {
    return RegistryFile.parse(JSON.parse(text));
  } catch (cause) {
    throw new AssentError('CONFIG_INVALID', 'The installed-fixes registry is malformed.', {
      cause,
    });
  }
}

/** Writes the registry atomically. */
export async function saveRegistry(dataDir: string, registry: FixRegistry): Promise<void> {
  const dir = await fixesDir(dataDir);
  await writeFileAtomic(
    join(dir, 'installed.json'),
    Buffer.from(JSON.stringify(registry, null, 2) + '\n'),
    {
      mode: 0o600,
    },
  );
}

/** The highest version of `product` that is installed and not rolled back. */
export function installedVersion(registry: FixRegistry, product: string): string | undefined {
  let best: string | undefined;
  for (const fix of registry.fixes) {
    if (fix.product !== product || fix.status === 'rolled-back') continue;
    if (best === undefined || compareSemVer(fix.version, best) > 0) best = fix.version;
  }
  return best;
}

/** The live (not rolled back) record of `id`, if any. */
export function findLive(registry: FixRegistry, id: string): InstalledFix | undefined {
  return registry.fixes.find((f) => f.id === id && f.status !== 'rolled-back');
}

/** Adds `record` as active (replacing an earlier record of the same id) and marks the workaround it supersedes. */
export function withInstalled(registry: FixRegistry, record: InstalledFix): FixRegistry {
  const fixes = registry.fixes
    .filter((f) => !(f.id === record.id && f.status !== 'rolled-back'))
    .map((f) =>
      record.supersedes !== undefined && f.id === record.supersedes && f.status === 'active'
        ? { ...f, status: 'superseded' as const, supersededBy: record.id }
        : f,
    );
  return { v: 1, fixes: [...fixes, { ...record, status: 'active' }] };
}

/** Marks `id` rolled back and reactivates the workaround it had superseded. */
export function withRolledBack(registry: FixRegistry, id: string, at: string): FixRegistry {
  return {
    v: 1,
    fixes: registry.fixes.map((f) => {
      if (f.id === id && f.status !== 'rolled-back')
        return { ...f, status: 'rolled-back' as const, rolledBackAt: at };
      if (f.supersededBy === id && f.status === 'superseded') {
        const { supersededBy: _by, ...rest } = f;
        return { ...rest, status: 'active' as const };
      }
      return f;
    }),
  };
}

/** Removes an apply that never committed (journal recovery). */
export function withoutUncommitted(
  registry: FixRegistry,
  id: string,
  packageSha256: string,
): FixRegistry {
  const present = registry.fixes.some(
    (f) => f.id === id && f.packageSha256 === packageSha256 && f.status === 'active',
  );
  if (!present) return registry;
  const rolled = withRolledBack(registry, id, new Date().toISOString());
  return {
    v: 1,
    fixes: rolled.fixes.filter((f) => !(f.id === id && f.packageSha256 === packageSha256)),
  };
}
