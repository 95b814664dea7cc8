// The V8 flags of platform/node-flags.ts reach every way an Assent process is
// started: the bins' shebangs, package.json's scripts, and (run for real) a
// bin executed directly sees them in its own execArgv.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../platform/node-flags';

const root = join(import.meta.dirname, '..', '..');
const bins = readdirSync(join(root, 'bin')).filter((name) => /^assent-.*\.js$/.test(name));
const flags = NODE_FLAGS.join(' ');

describe('node flags of Assent processes', () => {
  it('every bin starts node with them (shebang)', () => {
    expect(bins.length).toBeGreaterThanOrEqual(4);
    for (const name of bins) {
      const shebang = readFileSync(join(root, 'bin', name), 'utf8').split('\n')[0];
      expect(shebang, name).toBe(`#!/usr/bin/env -S node ${flags}`);
    }
  });

  it('every package.json script that starts a bin or the benches passes them', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const starting = Object.entries(scripts).filter(([, command]) =>
      /bin\/(assent-[a-z]+\.js|run-ts\.js bench)/.test(command),
    );
    expect(starting.map(([name]) => name).sort()).toEqual(
      ['agent', 'audit', 'bench', 'engineer', 'relay', 'start'].sort(),
    );
    for (const [name, command] of starting)
      expect(command, name).toMatch(new RegExp(`^node ${flags} bin/`));
  });

  it('a bin runs directly through its shebang, and node takes the flags', () => {
    const usage = execFileSync(join(root, 'bin', 'assent-relay.js'), ['--help'], {
      encoding: 'utf8',
    });
    expect(usage).toMatch(/^Usage: assent-relay/);
    const probe = `process.stdout.write(JSON.stringify(process.execArgv))`;
    // The shebang line, executed by the kernel through env -S, as a user's shell would.
    const [, ...command] = readFileSync(join(root, 'bin', 'assent-relay.js'), 'utf8')
      .split('\n')[0]!
      .slice(2)
      .split(' ');
    expect(command.slice(0, 2)).toEqual(['-S', 'node']);
    const seen = JSON.parse(
      execFileSync('/usr/bin/env', [...command, '-e', probe], { encoding: 'utf8' }),
    ) as string[];
    expect(seen.slice(0, NODE_FLAGS.length)).toEqual([...NODE_FLAGS]);
  });
});
