// The ground rules: a versioned document the vendor proposes and signs, and
// the customer admin countersigns on the machine (issue 3, DESIGN "Ground
// rules"). The machine policy has the same shape with every field optional
// and can only narrow what the rules allow.
import { z } from 'zod';
import { ActionKind } from './consent';
import { PublicKey32, Signature64 } from './identity';

export const TerminalMode = z.enum(['off', 'supervised', 'interactive']);
export type TerminalMode = z.infer<typeof TerminalMode>;

/** Globs denied whatever else the rules say: keys, credentials and browser profiles. */
export const DEFAULT_DENIED_GLOBS: readonly string[] = [
  '**/.ssh/**',
  '**/.gnupg/**',
  '**/.aws/**',
  '**/.azure/**',
  '**/.config/gcloud/**',
  '**/.kube/config',
  '**/.docker/config.json',
  '**/.netrc',
  '**/.pgpass',
  '**/.git-credentials',
  '**/*.pem',
  '**/*.key',
  '**/*.p12',
  '**/*.pfx',
  '**/id_rsa*',
  '**/id_ed25519*',
  '**/.mozilla/**',
  '**/.config/google-chrome/**',
  '**/.config/chromium/**',
  '**/AppData/Local/Google/Chrome/**',
  '**/AppData/Roaming/Mozilla/**',
  '**/Library/Application Support/Google/Chrome/**',
  '**/Library/Keychains/**',
  '**/.local/share/keyrings/**',
];

/** A standing consent: actions of a kind under a root that run without asking (audited, shown as a notice). */
export const StandingConsent = z.object({
  kind: ActionKind,
  /** Absolute directory; the consent covers paths under it. */
  under: z.string().min(1).optional(),
  /** Parsed command name (terminal.command). */
  command: z.string().min(1).optional(),
  description: z.string().max(500).optional(),
});
export type StandingConsent = z.infer<typeof StandingConsent>;

/** True when Intl knows the IANA time zone (Intl is in browsers and Node alike). */
function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const SupportHours = z
  .object({
    /** IANA time zone, e.g. Europe/Oslo. */
    timeZone: z.string().min(1).refine(isTimeZone, 'an IANA time zone such as Europe/Oslo'),
    /** ISO weekdays 1 (Monday) to 7. */
    days: z.array(z.number().int().min(1).max(7)).min(1),
    /** 'HH:MM' 24-hour local times; end after start ('24:00' ends at midnight). */
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM from 00:00 to 23:59'),
    end: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'HH:MM from 00:01 to 24:00'),
  })
  .refine((h) => h.end > h.start, { message: 'end must be after start', path: ['end'] });
export type SupportHours = z.infer<typeof SupportHours>;

/** The body of the ground rules, version 1. */
export const GroundRules = z.object({
  kind: z.literal('assent-ground-rules'),
  v: z.literal(1),
  /** Human title, e.g. "Acme support for Example Corp". */
  title: z.string().min(1).max(200),
  vendor: z.string().min(1).max(200),
  customer: z.string().min(1).max(200),
  /** Monotonic per vendor/customer pair: a new document supersedes an older one. */
  revision: z.number().int().positive(),
  readableRoots: z.array(z.string().min(1)).max(100),
  writableRoots: z.array(z.string().min(1)).max(100),
  /** Added to DEFAULT_DENIED_GLOBS (which always apply). */
  deniedGlobs: z.array(z.string().min(1)).max(500),
  maxReadBytes: z.number().int().positive(),
  maxWriteBytes: z.number().int().positive(),
  terminal: TerminalMode,
  /** Interactive terminal window length (default 15). */
  interactiveMinutes: z.number().int().positive().max(240).default(15),
  /** Raw Ed25519 public keys allowed to sign fix packages (release keys, separate from credential keys). */
  fixSigners: z
    .array(z.object({ name: z.string().min(1).max(200), publicKey: PublicKey32 }))
    .max(50),
  sessionMaxMinutes: z
    .number()
    .int()
    .positive()
    .max(24 * 60),
  supportHours: SupportHours.optional(),
  standingConsents: z.array(StandingConsent).max(100),
  consentTimeoutSeconds: z.number().int().min(10).max(3600).default(120),
  recordSessions: z.boolean(),
  /** Terminal recordings are required (fail closed when they cannot be written). */
  requireTerminalRecording: z.boolean().default(true),
  validUntil: z.iso.datetime().optional(),
});
export type GroundRules = z.infer<typeof GroundRules>;

/** The vendor's signature on a proposal. */
export const VendorSignature = z.object({
  signer: z.string().min(1).max(200),
  publicKey: PublicKey32,
  signedAt: z.iso.datetime(),
  signature: Signature64,
});

/** The customer admin's countersignature, made with the agent's device key on the machine. */
export const CustomerCountersignature = z.object({
  admin: z.string().min(1).max(200),
  deviceKey: PublicKey32,
  signedAt: z.iso.datetime(),
  /** Fingerprint of the rules body the admin saw. */
  fingerprint: z.string(),
  signature: Signature64,
});

/** `rules.signed.json`: what `assent-engineer rules sign` writes. */
export const SignedRulesProposal = z.object({
  kind: z.literal('assent-signed-ground-rules'),
  rules: GroundRules,
  vendorSignature: VendorSignature,
});
export type SignedRulesProposal = z.infer<typeof SignedRulesProposal>;

/** The rules in force on an agent: proposal plus countersignature. */
export const CountersignedRules = SignedRulesProposal.extend({
  kind: z.literal('assent-countersigned-ground-rules'),
  customerSignature: CustomerCountersignature,
});
export type CountersignedRules = z.infer<typeof CountersignedRules>;

/**
 * The machine policy (admin-owned file): the same knobs, all optional; each
 * one can only narrow the ground rules (intersection of roots, union of
 * denied globs, minimum of limits, the stricter terminal mode, ...).
 */
export const MachinePolicy = z.object({
  kind: z.literal('assent-machine-policy'),
  v: z.literal(1),
  readableRoots: z.array(z.string().min(1)).optional(),
  writableRoots: z.array(z.string().min(1)).optional(),
  deniedGlobs: z.array(z.string().min(1)).optional(),
  maxReadBytes: z.number().int().positive().optional(),
  maxWriteBytes: z.number().int().positive().optional(),
  terminal: TerminalMode.optional(),
  allowFixes: z.boolean().optional(),
  allowStandingConsents: z.boolean().optional(),
  sessionMaxMinutes: z.number().int().positive().optional(),
  deniedKinds: z.array(ActionKind).optional(),
});
export type MachinePolicy = z.infer<typeof MachinePolicy>;

/** What the vendor signs (domain `groundRulesVendor`): the rules body and who signs, when. */
export function vendorSignedPayload(
  rules: GroundRules,
  signature: Omit<z.infer<typeof VendorSignature>, 'signature'>,
): unknown {
  return {
    rules,
    signer: signature.signer,
    publicKey: signature.publicKey,
    signedAt: signature.signedAt,
  };
}

/**
 * What the customer admin countersigns (domain `groundRulesCustomer`): the
 * whole proposal, vendor signature included, and the fingerprint they saw.
 */
export function customerSignedPayload(
  proposal: Pick<SignedRulesProposal, 'rules' | 'vendorSignature'>,
  countersignature: Omit<z.infer<typeof CustomerCountersignature>, 'signature'>,
): unknown {
  return {
    rules: proposal.rules,
    vendorSignature: proposal.vendorSignature,
    admin: countersignature.admin,
    deviceKey: countersignature.deviceKey,
    signedAt: countersignature.signedAt,
    fingerprint: countersignature.fingerprint,
  };
}

/** What differs between ground rules that confine the engineer to one folder. */
export type FolderRulesOptions = Pick<GroundRules, 'title' | 'vendor' | 'customer'> &
  Partial<Omit<GroundRules, 'kind' | 'v'>>;

/**
 * Ground rules that let the engineer read and change one folder, with a
 * supervised terminal, no fixes, no standing consents and recorded
 * terminals; `options` override any field (the local trial, tests, benches).
 */
export function folderRules(folder: string, options: FolderRulesOptions): GroundRules {
  return {
    kind: 'assent-ground-rules',
    v: 1,
    revision: 1,
    readableRoots: [folder],
    writableRoots: [folder],
    deniedGlobs: [],
    maxReadBytes: 100 * 1024 * 1024,
    maxWriteBytes: 10 * 1024 * 1024,
    terminal: 'supervised',
    interactiveMinutes: 15,
    fixSigners: [],
    sessionMaxMinutes: 120,
    standingConsents: [],
    consentTimeoutSeconds: 120,
    recordSessions: true,
    requireTerminalRecording: true,
    ...options,
  };
}
