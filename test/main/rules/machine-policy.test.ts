import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultPolicyPath, loadMachinePolicy } from '../../../main/rules/machine-policy';
import { EffectiveRules } from '../../../main/rules/effective-rules';
import type { AssentError } from '../../../protocol/errors';
import { fileAction, rulesBody } from '../consent/fixtures';

// The trust rule wants root-owned files, and the tests chown files to another
// user: they run as root (as the test container does).
describe('loadMachinePolicy', () => {
  let dir: string;
  let file: string;
  const warnings: string[] = [];
  const load = () => loadMachinePolicy({ path: file, warn: (m) => warnings.push(m) });
  const policy = {
    kind: 'assent-machine-policy',
    v: 1,
    readableRoots: ['/srv/app/logs'],
    maxReadBytes: 100,
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assent-policy-'));
    await chmod(dir, 0o755);
    file = join(dir, 'policy.json');
    warnings.length = 0;
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('a missing policy means no narrowing', async () => {
    await expect(load()).resolves.toEqual({ policy: null, path: file });
  });

  it('loads an admin-only policy that narrows the rules', async () => {
    await writeFile(file, JSON.stringify(policy), { mode: 0o644 });
    const loaded = await load();
    expect(loaded.policy).toMatchObject({ maxReadBytes: 100 });
    const rules = new EffectiveRules(rulesBody(), loaded.policy, { platform: 'posix' });
    expect(rules.evaluate(fileAction('file.read', '/srv/app/x')).allowed).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('honours ASSENT_POLICY_PATH', async () => {
    await writeFile(file, JSON.stringify(policy), { mode: 0o644 });
    const loaded = await loadMachinePolicy({ env: { ASSENT_POLICY_PATH: file } });
    expect(loaded.path).toBe(file);
    expect(loaded.policy).not.toBeNull();
  });

  it.each([
    ['a world-writable file', async () => chmod(file, 0o666), /writable by group or others/],
    ['a group-writable file', async () => chmod(file, 0o664), /writable by group or others/],
    ['a file owned by another user', async () => chown(file, 1000, 1000), /owned by uid 1000/],
    ['a world-writable directory', async () => chmod(dir, 0o777), /directory .* writable/],
    [
      'a directory owned by another user',
      async () => chown(dir, 1000, 1000),
      /directory .* owned by uid 1000/,
    ],
  ])('ignores %s, with a warning, and does not narrow', async (_name, spoil, reason) => {
    await writeFile(file, JSON.stringify(policy), { mode: 0o644 });
    await spoil();
    const loaded = await load();
    expect(loaded.policy).toBeNull();
    expect(loaded.warning).toMatch(reason);
    expect(warnings).toHaveLength(1);
  });

  it('ignores a symbolic link at the policy path', async () => {
    const real = join(dir, 'real.json');
    await writeFile(real, JSON.stringify(policy), { mode: 0o644 });
    await symlink(real, file);
    const loaded = await load();
    expect(loaded.policy).toBeNull();
    expect(loaded.warning).toMatch(/symbolic link/);
  });

  it('checks every ancestor: a writable, non-sticky grandparent spoils it', async () => {
    const inner = join(dir, 'assent');
    await mkdir(inner, { mode: 0o755 });
    file = join(inner, 'policy.json');
    await writeFile(file, JSON.stringify(policy), { mode: 0o644 });
    await chmod(dir, 0o777);
    expect((await load()).policy).toBeNull();
    await chmod(dir, 0o1777);
    expect((await load()).policy).not.toBeNull();
  });

  it.each([
    ['not JSON', '{'],
    [
      'an unknown field (a typo must not silently not narrow)',
      JSON.stringify({ ...policy, readableRoot: ['/'] }),
    ],
    ['a wrong type', JSON.stringify({ ...policy, maxReadBytes: 'small' })],
  ])('refuses a malformed policy (%s) with POLICY_INVALID', async (_name, text) => {
    await writeFile(file, text, { mode: 0o644 });
    const err = await load().catch((e: unknown) => e as AssentError);
    expect((err as AssentError).code).toBe('POLICY_INVALID');
  });

  it('knows the platform paths', () => {
    expect(defaultPolicyPath('linux')).toBe('/etc/assent/policy.json');
    expect(defaultPolicyPath('darwin')).toBe('/Library/Application Support/Assent/policy.json');
    expect(defaultPolicyPath('win32', { ProgramData: 'D:\\PD' })).toBe(
      'D:\\PD\\Assent\\policy.json',
    );
  });
});
