// The machine policy: an admin-owned file that narrows the ground rules
// (issue 3). It is trusted only when no one but the administrator can change
// it; otherwise the agent warns and treats it as missing (it never widens:
// a policy the approver could edit could at most narrow less).
//
// Unix rule, precisely: the file is opened without following a symlink, and
// the open file must be a regular file owned by root (uid 0) without group or
// other write bits; its directory must be owned by root without group or
// other write bits; every further ancestor must be owned by root and either
// have no group/other write bit or have the sticky bit set (like /tmp, where
// others cannot replace an entry they do not own). An agent running as an
// ordinary user does not trust a file owned by that user: the approver
// usually is that user. Windows: Node cannot read ACLs without a native
// module, so the file under %ProgramData%\Assent is used as found.
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MachinePolicy } from '../../protocol/ground-rules';
import { AssentError } from '../../protocol/errors';

/** Largest policy file read (a policy is a few hundred bytes). */
export const MAX_POLICY_BYTES = 256 * 1024;

export interface MachinePolicyOptions {
  /** Explicit path; otherwise ASSENT_POLICY_PATH, otherwise the platform default. */
  readonly path?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  /** Told when the policy is ignored (default: console.warn). */
  readonly warn?: (message: string) => void;
}

export interface LoadedMachinePolicy {
  /** Null when missing or untrusted: no narrowing. */
  readonly policy: MachinePolicy | null;
  readonly path: string;
  readonly warning?: string;
}

/** The admin-owned policy path of a platform. */
export function defaultPolicyPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32')
    return `${env['ProgramData'] ?? 'C:\\ProgramData'}\\Assent\\policy.json`;
  if (platform === 'darwin') return '/Library/Application Support/Assent/policy.json';
  return '/etc/assent/policy.json';
}

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/** Why a Unix file system entry is not admin-only, or null when it is. */
function entryProblem(
  what: string,
  stat: { uid: number; mode: number },
  allowSticky: boolean,
): string | null {
  if (stat.uid !== 0) return `${what} is owned by uid ${stat.uid}, not by root`;
  if ((stat.mode & GROUP_OTHER_WRITE) !== 0 && !(allowSticky && (stat.mode & STICKY) !== 0))
    return `${what} is writable by group or others (mode ${(stat.mode & 0o7777).toString(8)})`;
  return null;
}

async function ancestorsProblem(file: string): Promise<string | null> {
  let dir = dirname(file);
  let first = true;
  for (;;) {
    const stat = await lstat(dir);
    const problem = entryProblem(`directory ${dir}`, stat, !first);
    if (problem) return problem;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
    first = false;
  }
}

/** Loads the machine policy; a missing or untrusted file means no narrowing, a malformed one is POLICY_INVALID. */
export async function loadMachinePolicy(
  options: MachinePolicyOptions = {},
): Promise<LoadedMachinePolicy> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const path = options.path ?? env['ASSENT_POLICY_PATH'] ?? defaultPolicyPath(platform, env);
  const ignore = (problem: string): LoadedMachinePolicy => {
    const warning = `The machine policy ${path} is ignored: ${problem}. Only an administrator may be able to change it.`;
    (options.warn ?? console.warn)(warning);
    return { policy: null, path, warning };
  };
  let text: string;
  try {
    const handle = await open(
      path,
      constants.O_RDONLY | (platform === 'win32' ? 0 : constants.O_NOFOLLOW),
    );
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return ignore('it is not a regular file');
      if (platform !== 'win32') {
        const problem = entryProblem(`the file`, stat, false) ?? (await ancestorsProblem(path));
        if (problem) return ignore(problem);
      }
      if (stat.size > MAX_POLICY_BYTES)
        throw new AssentError(
          'POLICY_INVALID',
          `The machine policy ${path} is larger than ${MAX_POLICY_BYTES} bytes.`,
        );
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { policy: null, path };
    if (code === 'ELOOP') return ignore('it is a symbolic link');
    if (cause instanceof AssentError) throw cause;
    throw new AssentError('IO_FAILED', `The machine policy ${path} could not be read.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AssentError('POLICY_INVALID', `The machine policy ${path} is not JSON.`, { cause });
  }
  const parsed = MachinePolicy.strict().safeParse(json);
  if (!parsed.success)
    throw new AssentError(
      'POLICY_INVALID',
      `The machine policy ${path} does not match the schema: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`)
        .join('; ')}`,
    );
  return { policy: parsed.data, path };
}
