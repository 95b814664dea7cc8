// `assent-agent`: the headless agent and its admin commands (issue 2).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssentError, isAssentError } from '../../protocol/errors';
import { agentDataDir } from '../../platform/app-dirs';
import { parseCommandLine } from '../../platform/cli-options';
import { readJsonFile } from '../../platform/json-file';
import { keyFingerprint } from '../../platform/signing';
import { z } from 'zod';
import { Agent } from '../agent';
import { runAuditCommand } from '../audit/audit-cli';
import { loadDeviceKey, loadOrCreateDeviceKey } from '../identity/device-key';
import {
  loadTrustedVendor,
  offerRevocations,
  parseVendorKey,
  trustVendor,
} from '../identity/vendor-trust';
import { runHeadlessSession } from '../headless/headless-ui';
import { playRecording } from '../terminal/recording-player';
import { agentCommands, type AgentCommandIo } from './agent-commands';
import { mirrorTerminals } from '../headless/terminal-mirror';

const HELP = `Usage: assent-agent [command] [options]

Commands:
  run (default)                start a support session in this terminal
      --relay URL              the vendor relay (or ASSENT_RELAY_URL, or relayUrl in DATA/config.json)
      --ticket REF             your ticket reference, shown to the engineer
      --description TEXT       what is wrong
      --since TEXT             since when
      --tried TEXT             what you tried already
      --ca FILE                trust this CA certificate for the relay (private PKI)
  trust-vendor <key|file>      pin the vendor's public key (vendor.pub)
  device                       show this agent's device key fingerprint
  revocations import <file>    install a newer signed revocation list
  audit verify|show|sessions|report ...   read and verify the audit log
  audit play <recording>       replay a terminal recording
${agentCommands.map((c) => `  ${c.usage.padEnd(28)} ${c.summary}`).join('\n')}

Common options:
  --data DIR                   agent data directory (or ASSENT_DATA_DIR)
  --headless                   accepted for compatibility: this command is always headless
  -h, --help                   this help
`;

const AgentConfig = z.object({ relayUrl: z.string().url().optional() });

/** The relay URL from the flag, the environment, or the agent's config file. */
export function configuredRelayUrl(dataDir: string, flag?: string): string | undefined {
  return (
    flag ??
    process.env.ASSENT_RELAY_URL ??
    readJsonFile(join(dataDir, 'config.json'), AgentConfig)?.relayUrl
  );
}

export async function main(argv: string[]): Promise<number> {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`assent-agent: ${line}\n`);
  const first = argv[0];
  const command = first && !first.startsWith('-') ? first : 'run';
  const rest = first && !first.startsWith('-') ? argv.slice(1) : argv;
  let parsed;
  try {
    parsed = parseCommandLine(rest, {
      data: { type: 'string' },
      relay: { type: 'string' },
      ticket: { type: 'string' },
      description: { type: 'string' },
      since: { type: 'string' },
      tried: { type: 'string' },
      ca: { type: 'string' },
      headless: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  const { str } = parsed;
  if (parsed.flag('help')) {
    out(HELP);
    return 0;
  }
  const dataDir = agentDataDir(str('data'));
  // Subcommands own their arguments: pass them through minus --data.
  const passthrough = stripOption(rest, '--data');
  try {
    switch (command) {
      case 'run':
        return await run(
          dataDir,
          {
            relay: str('relay'),
            ticket: str('ticket'),
            description: str('description'),
            since: str('since'),
            tried: str('tried'),
            ca: str('ca'),
          },
          out,
          err,
        );
      case 'trust-vendor': {
        const input = parsed.positionals[0];
        if (!input)
          throw new AssentError(
            'USAGE',
            'usage: assent-agent trust-vendor <vendor.pub file or key>',
          );
        const key = parseVendorKey(input);
        trustVendor(dataDir, key);
        const device = loadOrCreateDeviceKey(dataDir);
        out(`Pinned vendor "${key.vendor}", key fingerprint ${keyFingerprint(key.publicKey)}.`);
        out(`This agent's device key fingerprint: ${keyFingerprint(device.publicKey)}.`);
        return 0;
      }
      case 'device': {
        const device = loadOrCreateDeviceKey(dataDir);
        out(`Device key: ${device.publicKey}`);
        out(`Fingerprint: ${keyFingerprint(device.publicKey)}`);
        return 0;
      }
      case 'revocations': {
        const file = parsed.positionals[1];
        if (parsed.positionals[0] !== 'import' || !file)
          throw new AssentError('USAGE', 'usage: assent-agent revocations import <file>');
        const vendor = loadTrustedVendor(dataDir);
        const list = offerRevocations(
          dataDir,
          vendor.publicKey,
          JSON.parse(readFileSync(file, 'utf8')),
        );
        out(
          `Revocation list in force: sequence ${list?.sequence}, ${list?.revokedSerials.length} revoked credentials.`,
        );
        return 0;
      }
      case 'audit': {
        if (passthrough[0] === 'play') {
          const file = passthrough[1];
          if (!file)
            throw new AssentError(
              'USAGE',
              'usage: assent-agent audit play <recording.cast> [--speed N]',
            );
          const speedIndex = passthrough.indexOf('--speed');
          const speedText = speedIndex > 0 ? passthrough[speedIndex + 1] : '1';
          const speed = speedText === 'max' ? Infinity : Number(speedText);
          if (!(speed > 0))
            throw new AssentError('USAGE', '--speed takes a number above 0, or max.');
          await playRecording(file, process.stdout, { speed });
          return 0;
        }
        let devicePublicKey: string | undefined;
        try {
          devicePublicKey = loadDeviceKey(dataDir).publicKey;
        } catch {
          devicePublicKey = undefined;
        }
        return await runAuditCommand(passthrough, {
          dataDir,
          out,
          ...(devicePublicKey ? { devicePublicKey } : {}),
        });
      }
      default: {
        const domain = agentCommands.find((c) => c.name === command);
        if (!domain) {
          err(`unknown command "${command}". See --help.`);
          return 2;
        }
        const io: AgentCommandIo = { dataDir, out };
        return await domain.run(passthrough, io);
      }
    }
  } catch (error) {
    if (isAssentError(error)) {
      err(`${error.message} (${error.code})`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    throw error;
  }
}

function stripOption(args: string[], name: string): string[] {
  const result: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === name) i += 1;
    else if (args[i]!.startsWith(`${name}=`)) continue;
    else result.push(args[i]!);
  }
  return result;
}

async function run(
  dataDir: string,
  options: {
    relay?: string | undefined;
    ticket?: string | undefined;
    description?: string | undefined;
    since?: string | undefined;
    tried?: string | undefined;
    ca?: string | undefined;
  },
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const relayUrl = configuredRelayUrl(dataDir, options.relay);
  if (!relayUrl) {
    err(
      'no relay is configured: pass --relay URL, set ASSENT_RELAY_URL, or use `npm start` for a local relay.',
    );
    return 2;
  }
  const agent = await Agent.open({
    dataDir,
    relayUrl,
    ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
  });
  out(`Assent agent (headless). Data: ${dataDir}. Relay: ${relayUrl}`);
  const stop = (): void =>
    void agent.session?.endSession('SESSION_ENDED', 'The agent was stopped.');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const end = await runHeadlessSession(
      agent,
      {
        ...(options.ticket ? { ticket: options.ticket } : {}),
        ...(options.description ? { description: options.description } : {}),
        ...(options.since ? { since: options.since } : {}),
        ...(options.tried ? { tried: options.tried } : {}),
      },
      {
        input: process.stdin,
        output: process.stdout,
        onServices: (services) => mirrorTerminals(services, process.stdout),
      },
    );
    return end.accepted || end.code === 'SESSION_ENDED' ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await agent.close();
  }
}
