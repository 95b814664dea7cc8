// Child process for the kill -9 tests: applies or rolls back a fix and kills
// itself with SIGKILL at the step named by ASSENT_FIX_CRASH_STEP.
// Run: node bin/run-ts.js test/main/fixes/crash-child.ts apply <dataDir> <package> <trust.json>
//      node bin/run-ts.js test/main/fixes/crash-child.ts rollback <dataDir> <id>
//      node bin/run-ts.js test/main/fixes/crash-child.ts recover <dataDir>
import { readFileSync } from 'node:fs';
import { applyFix } from '../../../main/fixes/apply';
import type { FixTrustBase } from '../../../main/fixes/fix-types';
import { recoverFixJournal } from '../../../main/fixes/recover';
import { rollbackFix } from '../../../main/fixes/rollback';

export async function main(argv: string[]): Promise<number> {
  const [mode, dataDir, subject, trustFile] = argv;
  const crashAt = process.env['ASSENT_FIX_CRASH_STEP'];
  const onStep = (step: string) => {
    if (step === crashAt) process.kill(process.pid, 'SIGKILL');
  };
  if (mode === 'apply') {
    const trust = JSON.parse(readFileSync(trustFile!, 'utf8')) as FixTrustBase;
    await applyFix({
      dataDir: dataDir!,
      packagePath: subject!,
      trust,
      approvedBy: 'crash-test',
      onStep,
    });
  } else if (mode === 'recover') {
    await recoverFixJournal(dataDir!, { onStep });
  } else {
    await rollbackFix({ dataDir: dataDir!, id: subject!, by: 'crash-test', onStep });
  }
  return 0;
}
