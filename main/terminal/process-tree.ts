// Finding and killing everything a terminal started (issue 4: ending the
// session, revoking the grant or the window expiring kills the pty and its
// whole process tree). A process belongs to a terminal when it is in the
// shell's session, descends from the shell, or carries the terminal's
// TERM_SESSION_ID tag. What cannot be caught: a process that left the
// session with setsid, lost its parent and cleared its environment; see
// docs/terminal.md "Residual risk".
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly session: number;
}

function readProcLinux(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Fields after the command name (which may contain spaces and parens).
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue; // zombies are already dead
      out.push({ pid: Number(entry), ppid: Number(rest[1]), session: Number(rest[3]) });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function readPs(): ProcessInfo[] {
  const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,sess=,stat='], { encoding: 'utf8' });
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && !f[3]!.startsWith('Z'))
    .map((f) => ({ pid: Number(f[0]), ppid: Number(f[1]), session: Number(f[2]) }));
}

function hasTag(pid: number, tag: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .includes(`TERM_SESSION_ID=${tag}`);
  } catch {
    return false;
  }
}

/** The live processes that belong to the terminal whose shell is `shellPid` (the shell included). */
export function terminalProcesses(shellPid: number, tag: string): number[] {
  if (process.platform === 'win32') return [];
  const linux = process.platform === 'linux';
  const all = linux ? readProcLinux() : readPs();
  const found = new Set<number>();
  for (const p of all) {
    if (p.pid === process.pid) continue;
    if (p.pid === shellPid || p.session === shellPid || (linux && hasTag(p.pid, tag)))
      found.add(p.pid);
  }
  // Descendants of anything found (children that called setsid but still have a parent here).
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all)
      if (!found.has(p.pid) && found.has(p.ppid) && p.pid !== process.pid) {
        found.add(p.pid);
        grew = true;
      }
  }
  return [...found];
}

/**
 * SIGKILLs every process of the terminal (the shell's process group first,
 * so a pipeline dies together), repeating until none is left or `rounds`
 * pass; returns the pids that survived (empty when the tree is gone).
 */
export async function killTerminalProcesses(
  shellPid: number,
  tag: string,
  rounds = 20,
): Promise<number[]> {
  if (process.platform === 'win32') return [];
  try {
    process.kill(-shellPid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
  let left = terminalProcesses(shellPid, tag);
  for (let i = 0; i < rounds && left.length > 0; i++) {
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 10));
    left = terminalProcesses(shellPid, tag);
  }
  return left;
}
