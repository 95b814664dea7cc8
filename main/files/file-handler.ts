// The contract between the file actions and the action router (issue 3,
// consent contract): `describe` validates, canonicalizes and builds the
// preview without touching the disk; `execute` runs only with a grant the
// consent engine minted for exactly that description. The handler and context
// types are the router's (main/actions/action-router.ts).
import type { DecisionBasis } from '../../protocol/consent';
import type { AuditSink } from '../audit/audit-sink';
import type { PeerLink } from '../session/peer-link';
import type { AtomicWriteOptions } from '../../platform/atomic-file';
import type { PathSyntaxPlatform } from './path-syntax';

/** What the file actions read from the effective rules (main/rules/effective-rules.ts satisfies it). */
export interface FileRules {
  readonly maxReadBytes: number;
  readonly maxWriteBytes: number;
  readonly rules: {
    readonly readableRoots: readonly string[];
    readonly writableRoots: readonly string[];
  };
  readRefusal(path: string): DecisionBasis | null;
  writeRefusal(path: string): DecisionBasis | null;
  isDenied(path: string): boolean;
}

/** What registerFileActions needs. */
export interface FileDeps {
  /** The agent's data directory (uploads, trash, backups live under `files/`). */
  readonly dataDir: string;
  readonly rules: FileRules;
  readonly audit: AuditSink;
  /** The session's link (uploads arrive on it before a request). */
  readonly link: PeerLink;
  /** Path syntax of the machine (tests pass 'win32' to check the Windows forms). */
  readonly platform?: PathSyntaxPlatform;
  /** Clock for find's time budget (tests inject one). */
  readonly now?: () => number;
  /** Fault injection for atomic writes (crash points, ENOSPC); tests only. */
  readonly writeHooks?: Pick<AtomicWriteOptions, 'onStep' | 'wrapHandle'>;
}
