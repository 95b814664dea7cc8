// The agent core's composition root: the device identity, the pinned vendor,
// the audit log and the session factory. The headless terminal UI and the
// Electron shell both drive an Agent; neither decides anything itself.
import { AssentError } from '../protocol/errors';
import { ensurePrivateDir } from '../platform/app-dirs';
import type { SigningKeyPair } from '../platform/signing';
import type { RevocationList, VendorPublicKey } from '../protocol/identity';
import { AuditLog } from './audit/audit-log';
import { loadOrCreateDeviceKey } from './identity/device-key';
import { loadRevocations, loadTrustedVendor, offerRevocations } from './identity/vendor-trust';
import {
  AgentSession,
  type AgentSessionOptions,
  type SessionServices,
} from './session/agent-session';
import type { PeerLink } from './session/peer-link';

export interface AgentOptions {
  dataDir: string;
  relayUrl: string;
  /** Extra CA (PEM) for a relay with a private certificate. */
  ca?: string | Buffer;
  approvalTimeoutMs?: number;
  resumeGraceMs?: number;
  handshakeTimeoutMs?: number;
}

/** What the approver enters when asking for help. */
export interface HelpRequest {
  ticket?: string;
  description?: string;
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
   * Creates (but does not start) a session. Only one runs at a time. When
   * it ends after having been accepted, a summary signed by the device key
   * is added to the audit log.
   */
  createSession(
    request: HelpRequest = {},
    services?: (link: PeerLink) => SessionServices | undefined,
  ): AgentSession {
    if (this.session) throw new AssentError('SESSION_ALREADY_RUNNING');
    const options: AgentSessionOptions = {
      relayUrl: this.options.relayUrl,
      deviceKey: this.deviceKey,
      vendor: this.vendor,
      revocations: this.revocations(),
      onRevocations: (candidate) =>
        offerRevocations(this.options.dataDir, this.vendor.publicKey, candidate),
      audit: this.audit,
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
      ...(services ? { onActive: services } : {}),
    };
    const session = new AgentSession(options);
    session.on('ended', (end) => {
      if (end.accepted)
        void this.audit
          .summarizeSession(session.sessionId, this.deviceKey.privateKey)
          .catch(() => undefined);
    });
    this.current = session;
    return session;
  }

  /** Ends any session and closes the audit log. */
  async close(): Promise<void> {
    await this.session?.endSession('SESSION_ENDED', 'The agent was shut down.');
    await this.audit.close();
  }
}
