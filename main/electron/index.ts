// Electron main entry: opens the agent core in the user's data directory and
// starts the desktop shell around it. Decides nothing itself.
import { join } from 'node:path';
import { app } from 'electron';
import { z } from 'zod';
import { agentDataDir } from '../../platform/app-dirs';
import { readJsonFile } from '../../platform/json-file';
import { AssentError } from '../../protocol/errors/index';
import { Agent } from '../agent';
import { createDesktopCoreForAgent } from '../ipc/agent-desktop';
import { startDesktopShell } from './shell';

const AgentConfig = z.object({ relayUrl: z.string().url().optional() });

/** Where the relay is: ASSENT_RELAY_URL, else `relayUrl` in DATA/config.json. */
function relayUrl(dataDir: string): string {
  const url =
    process.env.ASSENT_RELAY_URL ??
    readJsonFile(join(dataDir, 'config.json'), AgentConfig)?.relayUrl;
  if (url === undefined) {
    throw new AssentError(
      'CONFIG_INVALID',
      'No relay is configured (ASSENT_RELAY_URL or config.json).',
    );
  }
  return url;
}

// Built layout: out/main/index.js, out/preload/index.cjs, out/renderer/; icons
// in build/ (development) or resources/ (packaged).
const outDir = join(import.meta.dirname, '..');
const resources = app.isPackaged ? process.resourcesPath : join(outDir, '..', 'build');

startDesktopShell(
  async () => {
    const dataDir = agentDataDir();
    const agent = await Agent.open({ dataDir, relayUrl: relayUrl(dataDir) });
    app.on('before-quit', () => void agent.close());
    return createDesktopCoreForAgent(agent, { osLocale: app.getLocale() });
  },
  {
    rendererRoot: join(outDir, 'renderer'),
    preloadPath: join(outDir, 'preload', 'index.cjs'),
    iconPath: join(resources, 'icon.png'),
    trayDir: join(resources, 'tray'),
  },
);
