// Runs one bench module's `run()` in this process, for bench/index.ts:
// `node bin/run-ts.js bench/support/run-one.ts <name>`. On SIGTERM or SIGINT
// it exits through process.exit, so the benches' exit hooks (sshd, relay,
// helper processes) still run.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './bench-child';

/** Entry point: exit 0 when the bench's run() resolved, 1 when it threw. */
export async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) throw new TypeError(`bad bench name ${name}`);
  const file = resolve(REPO_ROOT, 'bench', `${name}.ts`);
  if (!existsSync(file)) throw new Error(`bench/${name}.ts does not exist`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  const module = (await import(pathToFileURL(file).href)) as { run?: () => Promise<void> };
  if (typeof module.run !== 'function') throw new Error(`bench/${name}.ts exports no run()`);
  try {
    await module.run();
    return 0;
  } catch (error) {
    console.error(`bench ${name} failed:`, error);
    return 1;
  }
}
