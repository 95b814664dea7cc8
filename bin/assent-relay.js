#!/usr/bin/env -S node --initial-old-space-size=64 --no-memory-reducer
import { runEntry } from './load-ts.js';

await runEntry('server/cli/relay-cli.ts');
