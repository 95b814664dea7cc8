#!/usr/bin/env node
import { runEntry } from './load-ts.js';

await runEntry('console/cli/engineer-cli.ts');
