// A real session stack for tests: a relay on 127.0.0.1:0, an agent with a
// temporary data directory and its device key in the (test) OS keychain, and
// engineers with credentials signed by a test vendor key. Nothing is mocked.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type AgentOptions, type HelpRequest } from '../../main/agent';
import { trustVendor } from '../../main/identity/vendor-trust';
import type { AgentSession } from '../../main/session/agent-session';
import type { PeerLink } from '../../main/session/peer-link';
import type { AgentSessionServices } from '../../main/session-services';
import { countersignRules } from '../../main/rules/rules-signing';
import { installRulesInForce } from '../../main/rules/rules-store';
import { signRulesProposal } from '../../console/rules/rules-signing';
import { folderRules, type GroundRules } from '../../protocol/ground-rules';
import { EngineerSession, type EngineerSessionOptions } from '../../console/engineer-session';
import { issueCertificate, signRevocationList } from '../../platform/credentials';
import { writeJsonFileAtomic } from '../../platform/json-file';
import { deleteSecret, profileIdFor } from '../../platform/keychain';
import { generateSigningKeyPair, type SigningKeyPair } from '../../platform/signing';
import type { EngineerCertificate, Role, VendorPublicKey } from '../../protocol/identity';
import { createRelay, type Relay, type RelayOptions } from '../../server/relay';
import { TcpProxy } from './tcp-proxy';

/** An engineer's credential made for a test. */
export interface TestEngineer {
  certificate: EngineerCertificate;
  signingKey: SigningKeyPair;
}

export interface HarnessOptions {
  relay?: Partial<RelayOptions>;
  /** Route the agent through a TCP proxy that tests can cut (network drops). */
  proxy?: boolean;
  /** Connect the agent to this relay instead (e.g. a hostile one). */
  agentRelayUrl?: string;
  /** Ground rules to install (merged over permissive defaults), or false to install none. */
  rules?: Partial<GroundRules> | false;
  agent?: Partial<Omit<AgentOptions, 'dataDir' | 'relayUrl'>>;
}

/** Waits for `event` on `emitter` (first argument), with a timeout. */
export function waitFor<T = unknown>(
  emitter: { once(event: string, listener: (value: T) => void): unknown },
  event: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for '${event}'`)),
      timeoutMs,
    );
    emitter.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

export class SessionHarness {
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  private constructor(
    readonly root: string,
    readonly dataDir: string,
    readonly relayDataDir: string,
    readonly vendorKey: SigningKeyPair,
    readonly vendor: VendorPublicKey,
    public relay: Relay,
    readonly agent: Agent,
    private readonly options: HarnessOptions,
    /** The proxy between agent and relay, when started with `proxy: true`. */
    readonly proxy: TcpProxy | undefined,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<SessionHarness> {
    const root = mkdtempSync(join(tmpdir(), 'assent-harness-'));
    const dataDir = join(root, 'agent');
    const relayDataDir = join(root, 'relay');
    const vendorKey = generateSigningKeyPair();
    const vendor: VendorPublicKey = {
      kind: 'assent-vendor-key',
      v: 1,
      vendor: 'Acme Support',
      publicKey: vendorKey.publicKey,
    };
    const relay = await createRelay({
      host: '127.0.0.1',
      port: 0,
      vendorPublicKey: vendorKey.publicKey,
      dataDir: relayDataDir,
      ...options.relay,
    });
    trustVendor(dataDir, vendor);
    const proxy = options.proxy ? await TcpProxy.start(relay.port) : undefined;
    const agent = await Agent.open({
      dataDir,
      relayUrl: options.agentRelayUrl ?? proxy?.url ?? relay.url,
      ...options.agent,
    });
    const harness = new SessionHarness(
      root,
      dataDir,
      relayDataDir,
      vendorKey,
      vendor,
      relay,
      agent,
      options,
      proxy,
    );
    harness.cleanups.push(async () => {
      await agent.close();
      deleteSecret('assent-agent', `device-key@${profileIdFor(dataDir)}`);
    });
    mkdirSync(harness.customerDir, { recursive: true });
    if (options.rules !== false) await harness.installRules(options.rules ?? {});
    return harness;
  }

  /** The customer's data folder the default rules allow (readable and writable). */
  get customerDir(): string {
    return join(this.root, 'customer');
  }

  /** The default rules of the harness with `overrides`, vendor-signed and countersigned. */
  rulesDocument(overrides: Partial<GroundRules> = {}): GroundRules {
    return folderRules(this.customerDir, {
      title: 'Acme support for Example Corp (test)',
      vendor: 'Acme Support',
      customer: 'Example Corp',
      maxReadBytes: 2 * 1024 * 1024 * 1024,
      maxWriteBytes: 1024 * 1024 * 1024,
      sessionMaxMinutes: 240,
      ...overrides,
    });
  }

  /** Signs (as the vendor), countersigns (with the device key) and installs ground rules. */
  async installRules(overrides: Partial<GroundRules> = {}): Promise<void> {
    const proposal = signRulesProposal(
      this.rulesDocument(overrides),
      this.vendorKey,
      'Acme Support',
    );
    const document = countersignRules(proposal, this.agent.deviceKey, 'Ada Admin');
    await installRulesInForce(this.dataDir, document, {
      vendorPublicKey: this.vendorKey.publicKey,
      devicePublicKey: this.agent.deviceKey.publicKey,
    });
  }

  /** A credential signed by the test vendor (or by `vendorKey`). */
  engineer(
    options: {
      name?: string;
      roles?: Role[];
      days?: number;
      now?: Date;
      vendorKey?: SigningKeyPair;
    } = {},
  ): TestEngineer {
    const signingKey = generateSigningKeyPair();
    const certificate = issueCertificate((options.vendorKey ?? this.vendorKey).privateKey, {
      vendor: 'Acme Support',
      name: options.name ?? 'Erin Engineer',
      email: 'erin@acme.example',
      roles: options.roles ?? ['engineer'],
      publicKey: signingKey.publicKey,
      days: options.days ?? 30,
      ...(options.now ? { now: options.now } : {}),
    });
    return { certificate, signingKey };
  }

  /** Writes a signed revocation list into the relay's data directory. */
  revoke(serials: string[], sequence = 1): void {
    writeJsonFileAtomic(
      join(this.relayDataDir, 'revocations.json'),
      signRevocationList(this.vendorKey.privateKey, serials, sequence),
    );
  }

  /** Starts an agent session and resolves with it once its code is shown. */
  async startSession(
    request: HelpRequest = {},
    onServices?: (services: AgentSessionServices) => void,
  ): Promise<{ session: AgentSession; code: string }> {
    const session = await this.agent.createSession(request, {
      onServices: (services) => {
        this.services = services;
        onServices?.(services);
      },
      observeLink: (link) => (this.peerLink = link),
    });
    const code = waitFor<{ code: string }>(session, 'code');
    await session.start();
    this.cleanups.push(() => session.endSession());
    return { session, code: (await code).code };
  }

  /** Connects an engineer with `code`. */
  async connect(
    code: string,
    engineer: TestEngineer = this.engineer(),
    extra: Partial<EngineerSessionOptions> = {},
  ): Promise<EngineerSession> {
    const session = await EngineerSession.connect({
      relayUrl: this.relay.url,
      code,
      certificate: engineer.certificate,
      signingKey: engineer.signingKey,
      reason: 'Investigating ticket 4711',
      ...extra,
    });
    this.cleanups.push(() => session.endSession());
    return session;
  }

  /** The services of the last accepted session (consent engine, terminals). */
  services: AgentSessionServices | undefined;
  /** The link the services of the last accepted session use (the agent's end of the channel). */
  peerLink: PeerLink | undefined;

  /** A session accepted by the approver, with both ends and the agent's services. */
  async approvedSession(
    options: {
      request?: HelpRequest;
      onServices?: (services: AgentSessionServices) => void;
      engineer?: TestEngineer;
      /** Options of the engineer's connection (e.g. its relay URL through a proxy). */
      connect?: Partial<EngineerSessionOptions>;
    } = {},
  ): Promise<{
    agentSession: AgentSession;
    engineer: EngineerSession;
    services: AgentSessionServices;
    peer: PeerLink;
  }> {
    const { session: agentSession, code } = await this.startSession(
      options.request,
      options.onServices,
    );
    const requested = waitFor(agentSession, 'request');
    const engineer = await this.connect(code, options.engineer, options.connect);
    await requested;
    const approved = engineer.waitForApproval();
    await agentSession.accept('test approver');
    await approved;
    return { agentSession, engineer, services: this.services!, peer: this.peerLink! };
  }

  /** Restarts the relay on the same port (simulates a relay outage). */
  async restartRelay(): Promise<void> {
    const port = this.relay.port;
    await this.relay.close();
    this.relay = await createRelay({
      host: '127.0.0.1',
      port,
      vendorPublicKey: this.vendorKey.publicKey,
      dataDir: this.relayDataDir,
      ...this.options.relay,
    });
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the rest still gets cleaned up.
      }
    }
    await this.proxy?.close();
    await this.relay.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
