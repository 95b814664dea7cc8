// CPU seconds used by processes, read from /proc (Linux): on a shared,
// loaded machine the wall-clock rate of a transfer depends on what else runs,
// while the CPU it costs per byte does not, so the session bench prints both.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * utime + stime of `pid`, plus cutime + cstime (children it has waited for)
 * when `children`; undefined when /proc is not there or the process is gone.
 */
export function cpuSeconds(pid: number | undefined, children = false): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (field: number): number => Number(fields[field - 3]);
  const ticks = at(14) + at(15) + (children ? at(16) + at(17) : 0);
  return ticks / TICKS_PER_SECOND;
}

/** A set of processes whose CPU time is measured together. */
export class CpuMeter {
  constructor(
    private readonly processes: ReadonlyArray<{ pid: number | undefined; children?: boolean }>,
  ) {}

  /** The CPU seconds of each process now, or undefined when any of them cannot be read. */
  read(): number[] | undefined {
    const each: number[] = [];
    for (const { pid, children } of this.processes) {
      const seconds = cpuSeconds(pid, children);
      if (seconds === undefined) return undefined;
      each.push(seconds);
    }
    return each;
  }

  /**
   * Runs `work` and returns its result with the CPU seconds the processes
   * used meanwhile, in total and each (in the constructor's order).
   */
  async measure<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; cpu: number | undefined; each: number[] | undefined }> {
    const before = this.read();
    const result = await work();
    const after = this.read();
    if (!before || !after) return { result, cpu: undefined, each: undefined };
    const each = after.map((seconds, i) => seconds - before[i]!);
    return { result, cpu: each.reduce((a, b) => a + b, 0), each };
  }
}
