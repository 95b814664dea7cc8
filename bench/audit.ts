// Audit log benchmark (not a test): append latency with fdatasync against a
// bare appendFileSync + fdatasync of the same lines, the CPU cost of sealing
// a record (hash, canonical JSON, validation) without sync, and verify
// throughput against a bare line-by-line JSON.parse of the same file.
import { appendFileSync, closeSync, createReadStream, fdatasyncSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { AuditLog, auditLogPath } from '../main/audit/audit-log';
import { recordLine, sha256Hex } from '../main/audit/audit-record';
import { verifyAuditLog } from '../main/audit/audit-verify';

const DURABLE_APPENDS = 1000;
const FAST_APPENDS = 20_000;
const VERIFY_RECORDS = 100_000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function stats(samplesUs: number[]): { p50: number; p99: number } {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

function event(i: number): Parameters<AuditLog['append']>[0] {
  return {
    type: 'action.result',
    sessionId: '0123456789abcdef',
    actor: 'agent',
    data: { requestId: `r${i}`, kind: 'file.read', sha256: sha256Hex(String(i)), bytes: 4096 + i },
  };
}

/**
 * Times AuditLog.append and the bare reference alternately, record by record,
 * so both see the same disk and the same neighbours on a shared machine.
 */
async function timeAppends(
  root: string,
  count: number,
  durable: boolean,
): Promise<{ log: number[]; bare: number[]; lineBytes: number }> {
  const log = await AuditLog.open(join(root, durable ? 'durable' : 'fast'), { durable });
  const fd = openSync(join(root, durable ? 'bare-durable.jsonl' : 'bare-fast.jsonl'), 'a', 0o600);
  const samples = { log: [] as number[], bare: [] as number[], lineBytes: 0 };
  try {
    for (let i = 0; i < count; i++) {
      let start = performance.now();
      const record = await log.append(event(i));
      samples.log.push((performance.now() - start) * 1000);
      const line = `${recordLine(record)}\n`;
      samples.lineBytes = line.length;
      start = performance.now();
      appendFileSync(fd, line);
      if (durable) fdatasyncSync(fd);
      samples.bare.push((performance.now() - start) * 1000);
    }
  } finally {
    closeSync(fd);
    await log.close();
  }
  return samples;
}

async function bareParse(file: string): Promise<number> {
  let count = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    JSON.parse(line);
    count += 1;
  }
  return count;
}

function row(label: string, s: { p50: number; p99: number }): string {
  return `  ${label.padEnd(44)} p50 ${s.p50.toFixed(1).padStart(8)} µs   p99 ${s.p99.toFixed(1).padStart(8)} µs`;
}

/** Prints append latency and verify throughput with references measured in the same run. */
export async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'assent-bench-audit-'));
  try {
    console.log('audit log');

    for (const durable of [true, false]) {
      const count = durable ? DURABLE_APPENDS : FAST_APPENDS;
      const samples = await timeAppends(root, count, durable);
      const ours = stats(samples.log);
      const bare = stats(samples.bare);
      console.log(
        durable
          ? `  append, durable (${count} records of ${samples.lineBytes} B, alternating with the reference)`
          : `  append without sync (${count} records): the cost of sealing and validating a record`,
      );
      console.log(
        row(durable ? 'AuditLog.append (O_DSYNC write)' : 'AuditLog.append (durable: false)', ours),
      );
      console.log(
        row(
          durable ? 'reference: appendFileSync + fdatasyncSync' : 'reference: appendFileSync',
          bare,
        ),
      );
      console.log(
        `  ratio AuditLog / reference: p50 ${(ours.p50 / bare.p50).toFixed(2)}×, p99 ${(ours.p99 / bare.p99).toFixed(2)}×`,
      );
    }

    const verifyDir = join(root, 'verify');
    const log = await AuditLog.open(verifyDir, { durable: false });
    for (let i = 0; i < VERIFY_RECORDS; i++) await log.append(event(i));
    await log.close();
    const file = auditLogPath(verifyDir);
    // Alternate the two readers three times and keep the median rate of each.
    const verifyRates: number[] = [];
    const parseRates: number[] = [];
    for (let round = 0; round < 3; round++) {
      let start = performance.now();
      const result = await verifyAuditLog(file);
      verifyRates.push(VERIFY_RECORDS / ((performance.now() - start) / 1000));
      if (!result.ok || result.count !== VERIFY_RECORDS)
        throw new Error(`bench: verify failed: ${JSON.stringify(result)}`);
      start = performance.now();
      const parsed = await bareParse(file);
      parseRates.push(parsed / ((performance.now() - start) / 1000));
    }
    const verifyRate = verifyRates.sort((a, b) => a - b)[1]!;
    const parseRate = parseRates.sort((a, b) => a - b)[1]!;
    console.log(`  verify (${VERIFY_RECORDS} records)`);
    console.log(
      `  ${'verifyAuditLog'.padEnd(44)} ${Math.round(verifyRate).toLocaleString('en')} records/s`,
    );
    console.log(
      `  ${'reference: readline + JSON.parse'.padEnd(44)} ${Math.round(parseRate).toLocaleString('en')} records/s`,
    );
    console.log(`  ratio verify / reference: ${(verifyRate / parseRate).toFixed(2)}×`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
