// Builds the renderer (with the app's own Vite settings) and the page bridge
// into a temporary folder, once per test file.
import { join } from 'node:path';
import { build, type InlineConfig } from 'vite';
import config from '../../../electron.vite.config';

const here = import.meta.dirname;

/** Builds into `outDir`: `renderer/` (the app) and `bridge.js` (the page bridge). */
export async function buildRendererForTest(
  outDir: string,
): Promise<{ rendererRoot: string; bridge: string }> {
  const renderer = (config as { renderer: InlineConfig }).renderer;
  const rendererRoot = join(outDir, 'renderer');
  await build({
    ...renderer,
    configFile: false,
    logLevel: 'error',
    build: { ...renderer.build, outDir: rendererRoot, emptyOutDir: true },
  });
  await build({
    configFile: false,
    logLevel: 'error',
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      lib: {
        entry: join(here, 'page-bridge.ts'),
        formats: ['iife'],
        name: 'assentPageBridge',
        fileName: () => 'bridge.js',
      },
    },
  });
  return { rendererRoot, bridge: join(outDir, 'bridge.js') };
}
