// The desktop core for an opened Agent, exactly as the Electron entry builds
// it (the e2e tests build it the same way). The agent itself verifies the
// rules in force before each session and composes what serves it.
import type { Agent } from '../agent';
import { loadRulesInForceIfAny } from '../rules/rules-store';
import { createAgentDesktopCore } from './agent-desktop-core';
import type { DesktopCore } from './desktop-core';
import { rulesView } from './rules-view';

export interface AgentDesktopOptions {
  readonly osLocale: string;
  readonly now?: () => number;
}

/** The DesktopCore the window drives, over `agent`. */
export function createDesktopCoreForAgent(agent: Agent, options: AgentDesktopOptions): DesktopCore {
  const trust = {
    vendorPublicKey: agent.vendor.publicKey,
    devicePublicKey: agent.deviceKey.publicKey,
  };
  return createAgentDesktopCore({
    agent,
    osLocale: options.osLocale,
    ...(options.now === undefined ? {} : { now: options.now }),
    rulesInForce: async () => rulesView(await loadRulesInForceIfAny(agent.options.dataDir, trust)),
  });
}
