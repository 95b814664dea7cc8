// The agent core's composition root: the device identity, the pinned vendor,
// the audit log and the session factory. The headless terminal UI and the
// Electron shell both drive an Agent; neither decides anything itself.
import { AssentError } from '../protocol/errors';
import { ensurePrivateDir } from '../platform/app-dirs';
import type { SigningKeyPair } from '../platform/signing';
import type { RevocationList, VendorPublicKey } from '../protocol/identity';
import { AuditLog } from './audit/audit-log';
import { recoverFixJournal } from './fixes/recover';
import { loadOrCreateDeviceKey } from './identity/device-key';
import { guardAgentProcess } from './terminal/agent-guard';
import { loadRevocations, loadTrustedVendor, offerRevocations } from './identity/vendor-trust';
import { loadEffectiveRules } from './rules/rules-store';
import { AgentSession, type AgentSessionOptions } from './session/agent-session';
import { createSessionServices, type AgentSessionServices } from './session-services';
import type { PeerLink } from './session/peer-link';

export interface AgentOptions {
  dataDir: string;
  relayUrl: string;
  /** Extra CA (PEM) for a relay with a private certificate. */
  ca?: string | Buffer;
  approvalTimeoutMs?: number;
  resumeGraceMs?: number;
  handshakeTimeoutMs?: number;
  /** Machine policy file (default: the platform's admin-owned path, or ASSENT_POLICY_PATH). */
  policyPath?: string;
}

/** What the approver enters when asking for help. */
export interface HelpRequest {
  ticket?: string;
  /** What is wrong. */
  description?: string;
  /** Since when. */
  since?: string;
  /** What was tried already. */
  tried?: string;
}

/** How a UI takes part in a session's services. */
export interface SessionHooks {
  /** Told when an accepted session's services exist (consent prompts, grants, terminal mirror). */
  onServices?: (services: AgentSessionServices) => void;
  /** Wraps the link the services use, e.g. to show transfer progress and results in the UI. */
  observeLink?: (link: PeerLink) => PeerLink;
}

/** One agent installation (one data directory). */
export class Agent {
  private current: AgentSession | undefined;

  private constructor(
    readonly options: AgentOptions,
    readonly deviceKey: SigningKeyPair,
    readonly vendor: VendorPublicKey,
    readonly audit: AuditLog,
  ) {}

  /** Opens the agent: device key (created on first use, in the keychain), pinned vendor, audit log. */
  static async open(options: AgentOptions): Promise<Agent> {
    ensurePrivateDir(options.dataDir);
    const vendor = loadTrustedVendor(options.dataDir);
    const deviceKey = loadOrCreateDeviceKey(options.dataDir);
    const audit = await AuditLog.open(options.dataDir);
    // A fix cut short by a crash is finished or undone before anything else happens.
    await recoverFixJournal(options.dataDir, { audit });
    // Nothing in a remote shell may open an inspector on this process (SIGUSR1).
    guardAgentProcess();
    return new Agent(options, deviceKey, vendor, audit);
  }

  /** The session in progress, if any. */
  get session(): AgentSession | undefined {
    return this.current && this.current.state !== 'ended' ? this.current : undefined;
  }

  /** The revocation list in force. */
  revocations(): RevocationList | undefined {
    return loadRevocations(this.options.dataDir, this.vendor.publicKey);
  }

  /**
   * Creates (but does not start) a session under the ground rules in force.
   * Refuses (RULES_MISSING, RULES_INVALID, ...) when no valid countersigned
   * rules are installed. Only one session runs at a time. When it ends after
   * having been accepted, a summary signed by the device key is added to the
   * audit log.
   */
  async createSession(request: HelpRequest = {}, hooks: SessionHooks = {}): Promise<AgentSession> {
    if (this.session) throw new AssentError('SESSION_ALREADY_RUNNING');
    const { effective, policyWarning } = await loadEffectiveRules(
      this.options.dataDir,
      { vendorPublicKey: this.vendor.publicKey, devicePublicKey: this.deviceKey.publicKey },
      this.options.policyPath
        ? { path: this.options.policyPath, warn: () => undefined }
        : { warn: () => undefined },
    );
    const rules = { fingerprint: effective.fingerprint, summary: effective.summary() };
    const options: AgentSessionOptions = {
      relayUrl: this.options.relayUrl,
      deviceKey: this.deviceKey,
      vendor: this.vendor,
      revocations: this.revocations(),
      onRevocations: (candidate) =>
        offerRevocations(this.options.dataDir, this.vendor.publicKey, candidate),
      audit: this.audit,
      rules,
      sessionMaxMs: effective.sessionMaxMinutes * 60_000,
      onActive: (link) => {
        const services = createSessionServices(
          {
            dataDir: this.options.dataDir,
            audit: this.audit,
            rules: effective,
            devicePublicKey: this.deviceKey.publicKey,
          },
          hooks.observeLink ? hooks.observeLink(link) : link,
        );
        hooks.onServices?.(services);
        return services;
      },
      ...(this.options.ca ? { ca: this.options.ca } : {}),
      ...(this.options.approvalTimeoutMs
        ? { approvalTimeoutMs: this.options.approvalTimeoutMs }
        : {}),
      ...(this.options.resumeGraceMs ? { resumeGraceMs: this.options.resumeGraceMs } : {}),
      ...(this.options.handshakeTimeoutMs
        ? { handshakeTimeoutMs: this.options.handshakeTimeoutMs }
        : {}),
      ...(request.ticket ? { ticket: request.ticket } : {}),
      ...(request.description ? { description: request.description } : {}),
      ...(request.since ? { since: request.since } : {}),
      ...(request.tried ? { tried: request.tried } : {}),
    };
    const session = new AgentSession(options);
    this.policyWarning = policyWarning;
    session.on('ended', (end) => {
      if (end.accepted)
        void this.audit
          .summarizeSession(session.sessionId, this.deviceKey.privateKey)
          .catch(() => undefined);
    });
    this.current = session;
    return session;
  }

  /** Why the machine policy was ignored at the last session start, if it was. */
  policyWarning: string | undefined;

  /** Ends any session and closes the audit log. */
  async close(): Promise<void> {
    await this.session?.endSession('SESSION_ENDED', 'The agent was shut down.');
    await this.audit.close();
  }
}
