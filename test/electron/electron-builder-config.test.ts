// electron-builder.yml checked offline with electron-builder's own schema
// validation (app-builder-lib's validateConfiguration over scheme.json).
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration(
    config: unknown,
    logger: { isEnabled: boolean; add(): void },
  ): Promise<void>;
};

type Targets = { target: string[]; icon: string };
interface BuilderConfig {
  appId: string;
  asar: boolean;
  icon: string;
  directories: { buildResources: string };
  electronFuses: Record<string, boolean>;
  linux: Targets;
  win: Targets;
  mac: Targets;
}

const load = () =>
  yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const logger = { isEnabled: false, add: () => undefined };

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    await expect(validateConfiguration(load(), logger)).resolves.toBeUndefined();
  });

  it('the validator does reject a broken config (the check is real)', async () => {
    const broken = { ...load(), electronFuses: { ...load().electronFuses, runAsNod: false } };
    await expect(validateConfiguration(broken, logger)).rejects.toThrow(/electronFuses/);
  });

  it('sets the fuses of the issue 6 security list', () => {
    expect(load().electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packages AppImage and deb, NSIS, dmg, with asar, an app id and icons in build/', () => {
    const config = load();
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(config.asar).toBe(true);
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.directories.buildResources).toBe('build');
    for (const icon of [config.icon, config.linux.icon, config.win.icon, config.mac.icon]) {
      expect(icon).toBe('build/icon.png');
    }
    const png = readFileSync(join(root, 'build/icon.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    for (const state of ['idle', 'waiting', 'active', 'consent-pending']) {
      expect(statSync(join(root, `build/tray/tray-${state}.png`)).size).toBeGreaterThan(0);
    }
  });
});
