// `npm run bench` (issue 2, "Benchmark"): runs every bench module, each in
// its own process with a time bound, so one that fails or hangs is reported
// and the others still run. Benches print their figures and their ratios
// against references measured in the same run; a missed target is printed
// (MISS), never an error. The whole run happens under a private D-Bus session
// and a throwaway, unlocked gnome-keyring (as bin/run-tests.js does), since
// the agent keeps its device key in the OS keychain.
//
//   npm run bench [-- --only session,terminal] [-- --timeout 600] [-- --list]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './support/bench-child';
import { hasPrivateKeyring, runUnderPrivateKeyring } from './support/keyring';
import { NODE_FLAGS } from '../platform/node-flags';

/**
 * Every bench, in the order they run: one-core measurements first (crypto,
 * disk, consent engine), then the ones that spread over processes and sockets.
 */
export const BENCHES = [
  'channel',
  'audit',
  'consent',
  'session',
  'relay-memory',
  'files',
  'terminal',
  'fixes',
] as const;

/** Seconds a bench may run before it is stopped and reported as timed out. */
export const DEFAULT_BENCH_TIMEOUT_SECONDS = 900;
/** After SIGTERM, how long a bench has to clean up before its process group is killed. */
const STOP_GRACE_MS = 10_000;

/** How one bench ended. */
export interface BenchOutcome {
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'timed out' | 'missing';
  readonly seconds: number;
  /** Targets the bench printed as PASS / MISS. */
  readonly pass: number;
  readonly miss: number;
}

const HELP = `Usage: npm run bench -- [--only NAME[,NAME]] [--timeout SECONDS] [--list]

Runs the benchmarks (${BENCHES.join(', ')}), each in its own process for at
most --timeout seconds (default ${DEFAULT_BENCH_TIMEOUT_SECONDS}), and prints a summary.
`;

/** Runs `bench/<name>.ts` in a child process group; its output goes through, PASS/MISS lines counted. */
export async function runBench(name: string, timeoutSeconds: number): Promise<BenchOutcome> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  if (!existsSync(resolve(REPO_ROOT, 'bench', `${name}.ts`)))
    return { name, status: 'missing', seconds: 0, pass: 0, miss: 0 };
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, resolve(REPO_ROOT, 'bin/run-ts.js'), 'bench/support/run-one.ts', name],
    // Its own process group: a hung bench is stopped with everything it started.
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  let pass = 0;
  let miss = 0;
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // PASS/MISS is the convention; some benches say "met" / "MISSED".
      if (/\bPASS\b|: met\b/.test(line)) pass++;
      if (/\bMISS(ED)?\b/.test(line)) miss++;
    }
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const killOnExit = (): void => killGroup('SIGKILL');
  process.once('exit', killOnExit);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`bench ${name}: still running after ${timeoutSeconds} s, stopping it`);
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), STOP_GRACE_MS).unref();
  }, timeoutSeconds * 1000);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  clearTimeout(timer);
  process.off('exit', killOnExit);
  // Anything the bench left running in its group goes with it.
  killGroup('SIGKILL');
  const status = timedOut ? 'timed out' : code === 0 ? 'ok' : 'failed';
  return { name, status, seconds: seconds(), pass, miss };
}

/** The summary table printed at the end. */
export function summaryTable(outcomes: readonly BenchOutcome[]): string {
  const rows = outcomes.map((o) => [
    o.name,
    o.status,
    o.status === 'missing' ? '-' : o.seconds.toFixed(1),
    o.pass + o.miss === 0 ? '-' : `${o.pass} pass, ${o.miss} miss`,
  ]);
  const header = ['bench', 'status', 'seconds', 'targets'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Entry point of `npm run bench`; exit 1 when a bench failed or timed out (never for a MISS). */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        timeout: { type: 'string', default: String(DEFAULT_BENCH_TIMEOUT_SECONDS) },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.list) {
    process.stdout.write(`${BENCHES.join('\n')}\n`);
    return 0;
  }
  const names = values.only
    ? values.only
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
    : [...BENCHES];
  const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown bench ${unknown.join(', ')} (known: ${BENCHES.join(', ')})\n`,
    );
    return 2;
  }
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    process.stderr.write('bench: --timeout must be a positive number of seconds\n');
    return 2;
  }
  if (!hasPrivateKeyring()) return runUnderPrivateKeyring('bench/index.ts', argv);

  const outcomes: BenchOutcome[] = [];
  for (const name of names) {
    console.log(`\n=== bench ${name} (${new Date().toISOString()}) ===`);
    const outcome = await runBench(name, timeout);
    if (outcome.status === 'missing') console.log(`bench/${name}.ts does not exist (yet); skipped`);
    outcomes.push(outcome);
  }
  console.log(`\n=== summary (${new Date().toISOString()}) ===\n${summaryTable(outcomes)}`);
  return outcomes.some((o) => o.status === 'failed' || o.status === 'timed out') ? 1 : 0;
}
