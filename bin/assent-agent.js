#!/usr/bin/env node
import { runEntry } from './load-ts.js';

await runEntry('main/cli/agent-cli.ts');
