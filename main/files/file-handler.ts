// The contract between the file actions and the action router (issue 3,
// consent contract): `describe` validates, canonicalizes and builds the
// preview without touching the disk; `execute` runs only with a grant the
// consent engine minted for exactly that description. These types mirror the
// router's ActionHandler so the file domain compiles and is tested on its own.
import type { z } from 'zod';
import type { ActionKind, DecisionBasis } from '../../protocol/consent';
import type { AuditEvent } from '../../protocol/audit';
import type { ActionDescription } from '../consent/action';
import type { PeerLink } from '../session/peer-link';
import type { AtomicWriteOptions } from '../../platform/atomic-file';
import type { PathSyntaxPlatform } from './path-syntax';

export interface DescribeContext {
  readonly link: PeerLink;
  readonly requestId: string;
}

export interface ExecuteContext extends DescribeContext {
  /** Aborted on revocation, cancellation or the end of the session: stop at once. */
  readonly signal: AbortSignal;
  progress(done: number, total?: number, stage?: string): void;
  /** The description the grant was minted for. */
  readonly action: ActionDescription;
}

/** One action kind's handler. `grant` is checked with assertGrantFor at the top of every execute. */
export interface FileActionHandler<P> {
  readonly params: z.ZodType<P>;
  describe(params: P, context: DescribeContext): Promise<ActionDescription>;
  execute(grant: unknown, params: P, context: ExecuteContext): Promise<Record<string, unknown>>;
}

/** Where handlers are registered (the action router). */
export interface FileActionRouter {
  register<P>(kind: ActionKind, handler: FileActionHandler<P>): void;
}

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

/** Where audit records go (main/audit/audit-log.ts AuditLog satisfies it). */
export interface FileAuditSink {
  append(event: AuditEvent): Promise<unknown>;
}

/** What registerFileActions needs. */
export interface FileDeps {
  /** The agent's data directory (uploads, trash, backups live under `files/`). */
  readonly dataDir: string;
  readonly rules: FileRules;
  readonly audit: FileAuditSink;
  /** The session's link (uploads arrive on it before a request). */
  readonly link: PeerLink;
  /** Path syntax of the machine (tests pass 'win32' to check the Windows forms). */
  readonly platform?: PathSyntaxPlatform;
  /** Clock for find's time budget (tests inject one). */
  readonly now?: () => number;
  /** Fault injection for atomic writes (crash points, ENOSPC); tests only. */
  readonly writeHooks?: Pick<AtomicWriteOptions, 'onStep' | 'wrapHandle'>;
}
