// Child process of the crash test: appends as fast as it can and reports
// each seq on stdout once its append has resolved (the record is on disk).
// `node bin/run-ts.js test/main/audit/append-child.ts <dataDir>`; runs until killed.
import { AuditLog } from '../../../main/audit/audit-log';

export async function main(argv: string[]): Promise<number> {
  const log = await AuditLog.open(argv[0]!);
  process.stdout.write(`open ${log.lastSeq}\n`);
  for (let round = 0; ; round++) {
    // Several appends in flight at once: the queue must keep them in order.
    const records = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        log.append({ type: 'action.result', sessionId: 'crash', data: { round, i } }),
      ),
    );
    process.stdout.write(`${records.map((r) => r.seq).join('\n')}\n`);
  }
}
