// Consent as data: the kinds of action an engineer can ask for, what the
// approver is shown (a preview, never a pre-rendered sentence, so every UI
// renders and localizes it), and the decisions the approver can take.
import { z } from 'zod';

/** Every kind of action that needs consent. */
export const ACTION_KINDS = [
  'file.list',
  'file.stat',
  'file.read',
  'file.find',
  'file.write',
  'file.edit',
  'file.mkdir',
  'file.rename',
  'file.delete',
  'file.restore',
  'terminal.command',
  'terminal.interactive',
  'fix.apply',
  'fix.rollback',
] as const;
export const ActionKind = z.enum(ACTION_KINDS);
export type ActionKind = z.infer<typeof ActionKind>;

/** A path as the approver must see it: canonical, and with unprintable and bidi characters made visible. */
export const PathDisplay = z.object({
  /** The canonical absolute path (what the digest binds). */
  canonical: z.string(),
  /** The same with control, bidi and other invisible characters shown as ⟨U+XXXX⟩. */
  visible: z.string(),
  /** True when `visible` differs from `canonical` (the UI warns). */
  hasInvisible: z.boolean(),
});
export type PathDisplay = z.infer<typeof PathDisplay>;

export const FileFacts = z.object({
  size: z.number().int().nonnegative(),
  sha256: z.string().optional(),
  modifiedAt: z.string().optional(),
  type: z.enum(['file', 'directory', 'symlink', 'other']).optional(),
});
export type FileFacts = z.infer<typeof FileFacts>;

/** A change to one file: sizes and hashes, and a unified diff for text. */
export const FileChange = z.object({
  before: FileFacts.optional(),
  after: FileFacts.optional(),
  binary: z.boolean(),
  /** Unified diff (text files only, bounded in size; `diffTruncated` says when cut). */
  diff: z.string().optional(),
  diffTruncated: z.boolean().optional(),
});
export type FileChange = z.infer<typeof FileChange>;

export const CommandPreview = z.object({
  mode: z.enum(['supervised', 'interactive']),
  /** The exact command line (supervised). */
  line: z.string().optional(),
  /** The same with unprintable characters made visible. */
  visibleLine: z.string().optional(),
  /** Parsed command names, in order (what allow-similar scopes match). */
  commandNames: z.array(z.string()).optional(),
  cwd: z.string(),
  /** Interactive window length. */
  windowMinutes: z.number().optional(),
});
export type CommandPreview = z.infer<typeof CommandPreview>;

export const FixPreview = z.object({
  id: z.string(),
  product: z.string(),
  fixKind: z.enum(['workaround', 'permanent']),
  description: z.string(),
  fromVersion: z.string().optional(),
  toVersion: z.string(),
  signer: z.string(),
  signerFingerprint: z.string(),
  targetRoot: z.string(),
  files: z.array(
    z.object({
      path: z.string(),
      op: z.enum(['add', 'replace', 'remove']),
      change: FileChange,
    }),
  ),
  checks: z.array(z.object({ phase: z.enum(['pre', 'post']), command: z.string() })),
  supersedes: z.string().optional(),
  rollback: z.boolean().optional(),
});
export type FixPreview = z.infer<typeof FixPreview>;

/** Everything the approver is shown about one action. Sections are present as the kind needs them. */
export const ActionPreview = z.object({
  kind: ActionKind,
  /** sha256 of the action's canonical description: what a grant is bound to. */
  digest: z.string(),
  path: PathDisplay.optional(),
  /** Second path (rename destination). */
  destination: PathDisplay.optional(),
  file: FileFacts.optional(),
  change: FileChange.optional(),
  command: CommandPreview.optional(),
  fix: FixPreview.optional(),
  /** Further parameters (offsets, patterns, limits) as plain values. */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type ActionPreview = z.infer<typeof ActionPreview>;

/** What an allow-similar grant covers. Matching is always on parsed data, never on raw string prefixes. */
export const ConsentScope = z.object({
  kind: ActionKind,
  /** Canonical directory the grant covers (files); matched component-wise. */
  pathPrefix: z.string().optional(),
  /** Parsed command name the grant covers (terminal). */
  command: z.string().optional(),
  /** Product the grant covers (fixes). */
  product: z.string().optional(),
  /** Grant lifetime; none means until the session ends. */
  minutes: z
    .number()
    .int()
    .positive()
    .max(24 * 60)
    .optional(),
  /** Number of actions the grant covers at most. */
  maxUses: z.number().int().positive().max(100_000).optional(),
});
export type ConsentScope = z.infer<typeof ConsentScope>;

/** The approver's answer to one prompt. */
export const ConsentDecision = z.discriminatedUnion('how', [
  z.object({ how: z.literal('allow-once') }),
  z.object({ how: z.literal('allow-session'), scope: ConsentScope }),
  z.object({ how: z.literal('deny'), reason: z.string().max(500).optional() }),
]);
export type ConsentDecision = z.infer<typeof ConsentDecision>;

/** Where a decision came from: the basis shown to both sides and written to the audit log. */
export const DecisionBasis = z.object({
  source: z.enum([
    'ground-rules',
    'machine-policy',
    'standing-consent',
    'approver',
    'session-grant',
    'timeout',
    'cancelled',
    'session-ended',
  ]),
  /** Which rule (e.g. `deniedGlobs[2]: ** /.ssh/**`) or grant id. */
  rule: z.string().max(500).optional(),
});
export type DecisionBasis = z.infer<typeof DecisionBasis>;

/** An active session grant as listed to the approver (and the engineer). */
export const GrantInfo = z.object({
  id: z.string(),
  scope: ConsentScope,
  grantedAt: z.number().int(),
  expiresAt: z.number().int().optional(),
  uses: z.number().int().nonnegative(),
});
export type GrantInfo = z.infer<typeof GrantInfo>;

/** Default consent timeout when the ground rules do not set one. */
export const DEFAULT_CONSENT_TIMEOUT_MS = 120 * 1000;
