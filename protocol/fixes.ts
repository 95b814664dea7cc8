// Signed software fixes (issue 5): the manifest inside a `.assentfix`
// package, its release signature, the limits the agent enforces while it
// reads a package, and the params/results of `fix.apply` and `fix.rollback`.
// The package bytes travel from the engineer to the agent on a stream before
// the request (`fix.upload`, `fix.upload-ready`, bytes, `fix.upload-done`);
// the request names the upload and carries the package's size and sha256,
// which the grant's digest binds.
import { z } from 'zod';
import { PublicKey32, Signature64 } from './identity';
import { MAX_PLAINTEXT_BYTES } from './limits';

/** Bytes of package in one stream frame (the 4-byte stream id shares the frame). */
export const FIX_CHUNK_BYTES = MAX_PLAINTEXT_BYTES - 4;
/** Largest package the agent accepts (the whole tar file). */
export const MAX_FIX_PACKAGE_BYTES = 512 * 1024 * 1024;
/** Largest `manifest.json`. */
export const MAX_FIX_MANIFEST_BYTES = 1024 * 1024;
/** Largest `manifest.sig`. */
export const MAX_FIX_SIGNATURE_BYTES = 4096;
/** Most files one fix may add, replace or remove. */
export const MAX_FIX_FILES = 10_000;
/** Longest relative path in a fix (UTF-8 bytes). */
export const MAX_FIX_PATH_BYTES = 1024;
/** Longest single path component (UTF-8 bytes). */
export const MAX_FIX_NAME_BYTES = 255;
/** Deepest relative path (components). */
export const MAX_FIX_PATH_DEPTH = 32;
/** Most archive entries in a package (payload files plus manifest and signature). */
export const MAX_FIX_ARCHIVE_ENTRIES = MAX_FIX_FILES + 2;
/** A pre- or post-check is killed after this long at most. */
export const MAX_FIX_CHECK_SECONDS = 600;
/** Check output kept for the result and the audit digest. */
export const MAX_FIX_CHECK_OUTPUT_BYTES = 64 * 1024;
/** Text files up to this size get a diff in the consent preview. */
export const MAX_FIX_DIFF_SOURCE_BYTES = 256 * 1024;
/** A single file's diff in the preview is cut at this many characters. */
export const MAX_FIX_DIFF_CHARS = 16 * 1024;
/** All diffs of one preview together are cut at this many characters (the pending message must fit a frame). */
export const MAX_FIX_PREVIEW_DIFF_CHARS = 40 * 1024;
/** At most this many files are listed in one preview; `details.filesOmitted` counts the rest. */
export const MAX_FIX_PREVIEW_FILES = 200;
/** The listed files (without diffs) take at most this many characters of the pending message. */
export const MAX_FIX_PREVIEW_LIST_CHARS = 40 * 1024;
/** Longest check command line (its argv joined with spaces). */
export const MAX_FIX_CHECK_LINE_CHARS = 4096;
/** A staged package not used by a request within this time is deleted. */
export const FIX_UPLOAD_TTL_MS = 10 * 60 * 1000;
/** Packages one session may have staged at once. */
export const MAX_STAGED_FIX_PACKAGES = 4;

/** Archive entry names. */
export const FIX_MANIFEST_ENTRY = 'manifest.json';
export const FIX_SIGNATURE_ENTRY = 'manifest.sig';
export const FIX_PAYLOAD_PREFIX = 'payload/';

/** A fix id or product name: short, printable, path-safe. */
export const FixId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore (max 64)');

/** Semantic version `MAJOR.MINOR.PATCH[-prerelease]` (build metadata is refused: it does not order). */
export const SemVer = z
  .string()
  .max(64)
  .regex(
    /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/,
    'a semantic version such as 1.4.2',
  );

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256');

/** Unix permission bits only: setuid, setgid and sticky bits are refused. */
export const FixFileMode = z.number().int().min(0).max(0o777);

/** One file of a fix. The path is relative to the target root, `/`-separated. */
export const FixFileEntry = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('add'),
    path: z.string().min(1),
    size: z.number().int().nonnegative(),
    sha256: Sha256Hex,
    mode: FixFileMode.default(0o644),
  }),
  z.strictObject({
    op: z.literal('replace'),
    path: z.string().min(1),
    size: z.number().int().nonnegative(),
    sha256: Sha256Hex,
    mode: FixFileMode.default(0o644),
  }),
  z.strictObject({ op: z.literal('remove'), path: z.string().min(1) }),
]);
export type FixFileEntry = z.infer<typeof FixFileEntry>;

/** A command run in the target root under the fix's consent: argv (no shell), minimal environment, timeout. */
export const FixCheck = z.strictObject({
  argv: z
    .array(z.string().min(1).max(MAX_FIX_CHECK_LINE_CHARS))
    .min(1)
    .max(64)
    .refine(
      (argv) => argv.join(' ').length <= MAX_FIX_CHECK_LINE_CHARS,
      'check command line too long',
    ),
  timeoutSeconds: z.number().int().positive().max(MAX_FIX_CHECK_SECONDS).default(60),
});
export type FixCheck = z.infer<typeof FixCheck>;

/** The signed description of a fix (`manifest.json`). */
export const FixManifest = z.strictObject({
  kind: z.literal('assent-fix-manifest'),
  v: z.literal(1),
  id: FixId,
  product: FixId,
  version: SemVer,
  fixKind: z.enum(['workaround', 'permanent']),
  /** A permanent fix may name the workaround it replaces. */
  supersedes: FixId.optional(),
  description: z.string().min(1).max(2000),
  /** Absolute directory the files are relative to. */
  targetRoot: z.string().min(1).max(4096),
  files: z.array(FixFileEntry).min(1).max(MAX_FIX_FILES),
  preCheck: FixCheck.optional(),
  postCheck: FixCheck.optional(),
  minAgentVersion: SemVer,
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  /** Only this device (agent device key) and/or customer may install it. */
  binding: z
    .strictObject({
      deviceKey: PublicKey32.optional(),
      customer: z.string().min(1).max(200).optional(),
    })
    .optional(),
});
export type FixManifest = z.infer<typeof FixManifest>;
/** The manifest as an author writes it before `fix build` fills in sizes and hashes. */
export type FixManifestInput = z.input<typeof FixManifest>;

/** `manifest.sig`: the release key's Ed25519 signature over the exact bytes of `manifest.json`. */
export const FixSignature = z.strictObject({
  kind: z.literal('assent-fix-signature'),
  v: z.literal(1),
  signer: z.string().min(1).max(200),
  publicKey: PublicKey32,
  signature: Signature64,
});
export type FixSignature = z.infer<typeof FixSignature>;

const StreamId = z.number().int().positive().max(0xffffffff);

/** The package as staged by `fix.upload` before the request: what the grant's digest binds. */
const StagedPackage = {
  upload: StreamId,
  size: z.number().int().positive().max(MAX_FIX_PACKAGE_BYTES),
  sha256: Sha256Hex,
};

/** `fix.apply` params: the staged package. */
export const FixApplyParams = z.strictObject(StagedPackage);
export type FixApplyParams = z.infer<typeof FixApplyParams>;

/** `fix.apply` result. */
export const FixApplyResult = z.object({
  id: z.string(),
  product: z.string(),
  version: z.string(),
  fromVersion: z.string().optional(),
  filesChanged: z.number().int().nonnegative(),
  bytesWritten: z.number().int().nonnegative(),
  supersedes: z.string().optional(),
});
export type FixApplyResult = z.infer<typeof FixApplyResult>;

/** `fix.rollback` params. */
export const FixRollbackParams = z.strictObject({ id: FixId });
export type FixRollbackParams = z.infer<typeof FixRollbackParams>;

/** `fix.rollback` result. */
export const FixRollbackResult = z.object({
  id: z.string(),
  product: z.string(),
  version: z.string(),
  filesRestored: z.number().int().nonnegative(),
});
export type FixRollbackResult = z.infer<typeof FixRollbackResult>;

/** Engineer -> agent: a fix package of `size` bytes will follow on stream `upload` (before `fix.apply`). */
export const FixUploadMessage = z.object({ type: z.literal('fix.upload'), ...StagedPackage });
/** Agent -> engineer: send the bytes now (or the upload was refused: see `fix.upload-done`). */
export const FixUploadReadyMessage = z.object({
  type: z.literal('fix.upload-ready'),
  upload: StreamId,
});
/** Agent -> engineer: every byte arrived and the hash matched (ok), or why not. */
export const FixUploadDoneMessage = z.object({
  type: z.literal('fix.upload-done'),
  upload: StreamId,
  ok: z.boolean(),
  code: z.string().max(64).optional(),
  message: z.string().max(2000).optional(),
});

export const FIX_MESSAGES = [
  FixUploadMessage,
  FixUploadReadyMessage,
  FixUploadDoneMessage,
] as const;

/** Compares two semantic versions (SemVer 2.0.0 precedence): negative, zero or positive. */
export function compareSemVer(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split(/-(.*)/s, 2) as [string, string | undefined];
    return { nums: core.split('.').map(Number), pre: pre === undefined ? [] : pre.split('.') };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}
