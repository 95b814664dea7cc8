#!/usr/bin/env node
import { runEntry } from './load-ts.js';

await runEntry('server/cli/relay-cli.ts');
