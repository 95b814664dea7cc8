// Runs one bench module's `run()` in this process, for bench/index.ts:
// `node bin/run-ts.js bench/support/run-one.ts <name>`. On SIGTERM or SIGINT
// it exits through process.exit, so the benches' exit hooks (sshd, relay,
// helper processes) still run.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './bench-child';

/** How long a finished bench's process may linger on open handles. */
const LINGER_MS = 2_000;

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
  let code = 0;
  try {
    await module.run();
  } catch (error) {
    console.error(`bench ${name} failed:`, error);
    code = 1;
  }
  // A bench that left a server or timer behind would otherwise run into the
  // runner's time bound although it has finished.
  setTimeout(() => {
    console.error(`bench ${name} left handles open after run(); exiting`);
    process.exit(code);
  }, LINGER_MS).unref();
  return code;
}
