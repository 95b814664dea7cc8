#!/usr/bin/env node
// Runs a TypeScript file that exports `main(argv)`: `node bin/run-ts.js bench/index.ts [args]`.
import { runEntry } from './load-ts.js';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.js <file.ts> [args]');
  process.exit(2);
}
await runEntry(file, rest);
