// File actions (issue 3, "File actions"): the parameters the engineer sends
// in `action.request` for each file.* kind, the results the agent answers
// with in `action.result`, the upload messages that stage content before a
// write or edit is requested, and the named limits of the domain. Paths are
// plain strings here: every safety check (roots, `..` in any encoding,
// Windows and device forms, links) is the agent's, in main/files/.
import { z } from 'zod';
import { MAX_PLAINTEXT_BYTES } from './limits';

/**
 * Bytes of file content in one stream frame (reads and uploads): a full
 * stream chunk (the frame's kind byte and stream id come on top). A power of
 * two, so the receivers' writes start and end on page boundaries.
 */
export const FILE_CHUNK_BYTES = MAX_PLAINTEXT_BYTES;
/** Longest path accepted, in UTF-16 code units (Linux PATH_MAX is 4096 bytes). */
export const MAX_PATH_CHARS = 4096;
/** Longest single path component, in UTF-8 bytes (NAME_MAX). */
export const MAX_NAME_BYTES = 255;
/** Largest page of a directory listing. */
export const MAX_LIST_PAGE = 1000;
/** Default page of a directory listing. */
export const DEFAULT_LIST_PAGE = 200;
/** Entries of one directory a listing sorts at most (larger directories are refused). */
export const MAX_LIST_ENTRIES = 100_000;
/** Results of one find at most. */
export const MAX_FIND_RESULTS = 1000;
/** Default results of one find. */
export const DEFAULT_FIND_RESULTS = 200;
/** A find stops after this long and reports `timedOut`. */
export const MAX_FIND_MS = 10_000;
/** Default time budget of one find. */
export const DEFAULT_FIND_MS = 5_000;
/** Files a find visits at most (names and content together). */
export const MAX_FIND_VISITED = 200_000;
/** Files larger than this are not searched by content. */
export const MAX_FIND_CONTENT_FILE_BYTES = 16 * 1024 * 1024;
/** Longest content pattern and name glob. */
export const MAX_FIND_PATTERN_CHARS = 256;
/** Directory depth a find descends at most. */
export const MAX_FIND_DEPTH = 64;
/** Largest unified diff shown in an edit prompt; longer diffs are cut and marked truncated. */
export const MAX_PREVIEW_DIFF_CHARS = 64 * 1024;
/** Files larger than this are shown as sizes and hashes, not as a diff. */
export const MAX_DIFF_INPUT_BYTES = 1024 * 1024;
/** A staged upload not used by a request within this time is deleted. */
export const UPLOAD_TTL_MS = 10 * 60 * 1000;
/** Staged uploads one session may hold at once. */
export const MAX_STAGED_UPLOADS = 16;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256');
/** A path as the engineer sends it; validated and canonicalized by the agent. */
export const RequestedPath = z.string().min(1).max(MAX_PATH_CHARS);
const StreamId = z.number().int().min(1).max(0xffff_ffff);

export const FileType = z.enum(['file', 'directory', 'symlink', 'other']);
export type FileType = z.infer<typeof FileType>;

/** One entry of a listing, or the answer of a stat. */
export const FileEntry = z.object({
  name: z.string(),
  type: FileType,
  size: z.number().int().nonnegative(),
  /** Milliseconds since the epoch. */
  modifiedAt: z.number(),
  mode: z.number().int().nonnegative(),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const FileListParams = z.strictObject({
  path: RequestedPath,
  offset: z.number().int().nonnegative().default(0),
  limit: z.number().int().positive().max(MAX_LIST_PAGE).default(DEFAULT_LIST_PAGE),
  sort: z.enum(['name', 'size', 'modified', 'type']).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
});
export type FileListParams = z.infer<typeof FileListParams>;
export const FileListResult = z.object({
  path: z.string(),
  entries: z.array(FileEntry),
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  /** Offset of the next page; absent on the last page. */
  nextOffset: z.number().int().nonnegative().optional(),
});
export type FileListResult = z.infer<typeof FileListResult>;

export const FileStatParams = z.strictObject({ path: RequestedPath });
export type FileStatParams = z.infer<typeof FileStatParams>;
export const FileStatResult = FileEntry.extend({
  path: z.string(),
  links: z.number().int().nonnegative(),
  createdAt: z.number().optional(),
});
export type FileStatResult = z.infer<typeof FileStatResult>;

/** Read: the agent sends bytes [offset, end) on `streamId` (chosen by the engineer), then the result. */
export const FileReadParams = z.strictObject({
  path: RequestedPath,
  offset: z.number().int().nonnegative().default(0),
  streamId: StreamId,
});
export type FileReadParams = z.infer<typeof FileReadParams>;
export const FileReadResult = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  /** Bytes sent on the stream. */
  sent: z.number().int().nonnegative(),
  /** SHA-256 of the whole file (offset 0 to size), so a resumed copy can be checked. */
  sha256: Sha256Hex,
});
export type FileReadResult = z.infer<typeof FileReadResult>;

export const FileFindParams = z
  .strictObject({
    path: RequestedPath,
    /** Name glob (`*`, `?`), matched against each entry name. */
    name: z.string().min(1).max(MAX_FIND_PATTERN_CHARS).optional(),
    /** Literal text searched in file contents (UTF-8). */
    content: z.string().min(1).max(MAX_FIND_PATTERN_CHARS).optional(),
    maxResults: z.number().int().positive().max(MAX_FIND_RESULTS).default(DEFAULT_FIND_RESULTS),
    timeoutMs: z.number().int().positive().max(MAX_FIND_MS).default(DEFAULT_FIND_MS),
  })
  .refine((p) => p.name !== undefined || p.content !== undefined, 'name or content is required');
export type FileFindParams = z.infer<typeof FileFindParams>;
export const FileFindMatch = z.object({
  path: z.string(),
  type: FileType,
  size: z.number().int().nonnegative(),
  /** 1-based line of the first content match. */
  line: z.number().int().positive().optional(),
});
export const FileFindResult = z.object({
  path: z.string(),
  matches: z.array(FileFindMatch),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  visited: z.number().int().nonnegative(),
});
export type FileFindResult = z.infer<typeof FileFindResult>;

/** Content staged by a `file.upload` before the request: what the digest binds. */
const StagedContent = {
  upload: StreamId,
  size: z.number().int().nonnegative(),
  sha256: Sha256Hex,
};

/** Write a new file (refused when something exists at the path). */
export const FileWriteParams = z.strictObject({ path: RequestedPath, ...StagedContent });
export type FileWriteParams = z.infer<typeof FileWriteParams>;

/** Replace a file's content; refused when its current hash is not `baseSha256`. */
export const FileEditParams = z.strictObject({
  path: RequestedPath,
  baseSha256: Sha256Hex,
  ...StagedContent,
});
export type FileEditParams = z.infer<typeof FileEditParams>;

export const FileWriteResult = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: Sha256Hex,
  /** Backup id of the version that was replaced (edit). */
  backupId: z.string().optional(),
});
export type FileWriteResult = z.infer<typeof FileWriteResult>;

export const FileMkdirParams = z.strictObject({ path: RequestedPath });
export type FileMkdirParams = z.infer<typeof FileMkdirParams>;

export const FileRenameParams = z.strictObject({ path: RequestedPath, to: RequestedPath });
export type FileRenameParams = z.infer<typeof FileRenameParams>;

export const FileDeleteParams = z.strictObject({ path: RequestedPath });
export type FileDeleteParams = z.infer<typeof FileDeleteParams>;

/** Restore a trash or backup entry, to where it was or to `to`. */
export const FileRestoreParams = z.strictObject({
  id: z.string().regex(/^[a-z]+-[0-9a-z-]{8,64}$/),
  to: RequestedPath.optional(),
});
export type FileRestoreParams = z.infer<typeof FileRestoreParams>;

/** Result of mkdir, rename, delete and restore. */
export const FileChangeResult = z.object({
  path: z.string(),
  to: z.string().optional(),
  /** Trash id (delete). */
  trashId: z.string().optional(),
});
export type FileChangeResult = z.infer<typeof FileChangeResult>;

/** A trash or backup entry as `assent-agent files` lists it. */
export const KeptEntry = z.object({
  id: z.string(),
  kind: z.enum(['trash', 'backup']),
  originalPath: z.string(),
  type: FileType,
  size: z.number().int().nonnegative(),
  sha256: Sha256Hex.optional(),
  keptAt: z.iso.datetime(),
  sessionId: z.string().optional(),
  engineer: z.string().optional(),
  requestId: z.string().optional(),
});
export type KeptEntry = z.infer<typeof KeptEntry>;

/**
 * Engineer -> agent: bytes of a file will follow on stream `upload` (before
 * the write/edit request). `sha256` may be left out, so a client can hash
 * while it sends instead of reading the file twice: the agent hashes what
 * arrives either way, answers its hash in `file.upload-done`, and the
 * write/edit request (whose digest the consent binds) must name that hash.
 */
export const FileUploadMessage = z.object({
  type: z.literal('file.upload'),
  upload: StagedContent.upload,
  size: StagedContent.size,
  sha256: StagedContent.sha256.optional(),
});
/** Agent -> engineer: the upload is being received (send the bytes now), or was refused. */
export const FileUploadReadyMessage = z.object({
  type: z.literal('file.upload-ready'),
  upload: StreamId,
});
/** Agent -> engineer: every byte arrived (and matched the announced hash, if any), or why not. */
export const FileUploadDoneMessage = z.object({
  type: z.literal('file.upload-done'),
  upload: StreamId,
  ok: z.boolean(),
  /** SHA-256 of the bytes the agent received and staged (when ok). */
  sha256: Sha256Hex.optional(),
  code: z.string().max(64).optional(),
  message: z.string().max(2000).optional(),
});

export const FILE_MESSAGES = [
  FileUploadMessage,
  FileUploadReadyMessage,
  FileUploadDoneMessage,
] as const;
