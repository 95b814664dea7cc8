// Every bin, given what a person may mistype: a missing file, a directory, a
// file of the wrong kind, a bad option value. Each answers with a clear
// one-line error and a non-zero exit, never a stack trace or an uncaught
// exception. Cases found by a sweep of the bins; table-driven so more are
// cheap to add.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..', '..');
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'assent-bad-input-'));
  mkdirSync(join(root, 'a-directory'));
  writeFileSync(join(root, 'text.txt'), 'not what was asked for\n');
  writeFileSync(join(root, 'm.json'), '{}');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(bin: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repo, 'bin', `${bin}.js`), ...args], {
      env: {
        ...process.env,
        ASSENT_DATA_DIR: join(root, 'agent'),
        ASSENT_ENGINEER_HOME: join(root, 'engineer'),
        ASSENT_VENDOR_HOME: join(root, 'vendor'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => done({ code, output }));
  });
}

/** [bin, arguments (`@` is the test folder), what the error must say] */
const CASES: Array<[string, string[], RegExp]> = [
  [
    'assent-engineer',
    ['login', '@/missing.token'],
    /neither a credential token .* nor a readable file: no such file or folder\. \(CREDENTIAL_INVALID\)/,
  ],
  ['assent-engineer', ['login', 'garbage'], /"garbage" is neither a credential token/],
  ['assent-engineer', ['login', '@/a-directory'], /nor a readable file: it is a folder\./],
  ['assent-engineer', ['login', '@/text.txt'], /\(CREDENTIAL_INVALID\)/],
  ['assent-engineer', ['vendor', 'revoke', 'nope'], /is not a credential serial.*\(USAGE\)/],
  [
    'assent-agent',
    ['audit', 'play', '@/missing.cast'],
    /Cannot read .*missing\.cast: no such file or folder\. \(IO_FAILED\)/,
  ],
  ['assent-agent', ['audit', 'play', '@/a-directory'], /: it is a folder\. \(IO_FAILED\)/],
  [
    'assent-agent',
    ['audit', 'play', '@/text.txt'],
    /Line 1: not JSON\. \(TERMINAL_BAD_RECORDING\)/,
  ],
  ['assent-agent', ['trust-vendor', '@/missing.pub'], /neither a vendor key nor a readable file/],
  ['assent-agent', ['rules', 'accept', '@/missing.json'], /RULES_INVALID/],
  [
    'assent-engineer',
    ['fix', 'inspect', '@/missing.assentfix'],
    /Cannot read .*missing\.assentfix: no such file or folder/,
  ],
  ['assent-engineer', ['fix', 'inspect', '@/a-directory'], /: it is a folder\./],
  [
    'assent-engineer',
    ['fix', 'inspect', '@/text.txt'],
    /FIX_PACKAGE_INVALID: The file is not a fix package/,
  ],
  [
    'assent-engineer',
    ['fix', 'build', '@/missing', '--manifest', '@/text.txt', '--out', '@/x.assentfix'],
    /CONFIG_INVALID/,
  ],
  [
    'assent-engineer',
    ['fix', 'build', '@/missing', '--manifest', '@/m.json', '--out', '@/x.assentfix'],
    /Cannot read the payload folder .*missing: no such file or folder/,
  ],
  [
    'assent-engineer',
    ['fix', 'build', '@/text.txt', '--manifest', '@/m.json', '--out', '@/x.assentfix'],
    /is not a folder/,
  ],
  ['assent-relay', ['--port', '99999'], /--port must be 0-65535/],
];

describe('the bins, given bad input', { timeout: 120_000 }, () => {
  it('answer each with a clear error and no stack trace', async () => {
    const results = await Promise.all(
      CASES.map(([bin, args]) =>
        run(
          bin,
          args.map((a) => a.replace(/^@/, root)),
        ),
      ),
    );
    CASES.forEach(([bin, args, says], i) => {
      const { code, output } = results[i]!;
      const what = `${bin} ${args.join(' ')}`;
      expect(code, what).not.toBe(0);
      expect(output, what).toMatch(says);
      expect(output, what).not.toMatch(/^\s+at |node:internal|triggerUncaughtException|ZodError/m);
    });
  });
});
