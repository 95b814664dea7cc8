// Builds the three entry folders without the Electron binary:
// main (main/electron/index.ts, and the fix worker), preload (preload/index.ts, CommonJS because
// sandboxed preloads cannot load ES modules) and renderer (renderer/).
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'main/electron/index.ts'),
          // A worker_thread the fix code starts by file name, next to index.js (main/fixes/fix-worker-pool.ts).
          'fix-worker': resolve(root, 'main/fixes/fix-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed: the preload may require only `electron`, so everything else is bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      // No inline scripts or styles: the CSP allows 'self' only.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rollupOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
