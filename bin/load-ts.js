// Loads a TypeScript entry point of this package through tsx, so the bins run
// from source without a separate build step (the Electron app is bundled by
// electron-vite instead).
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve, dirname } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let registered = false;

/** Imports `relativePath` (from the package root) and runs its exported `main(argv)`. */
export async function runEntry(relativePath, argv = process.argv.slice(2)) {
  if (!registered) {
    register();
    registered = true;
  }
  const mod = await import(pathToFileURL(resolve(root, relativePath)).href);
  const code = await mod.main(argv);
  if (typeof code === 'number') process.exitCode = code;
}
