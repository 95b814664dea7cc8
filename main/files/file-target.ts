// Shared steps of every file handler: resolve a requested path under the
// roots the kind may touch, re-resolve at execute time and insist it is the
// same canonical target the grant was minted for, and audit the outcome.
import { MAX_AUDIT_STRING_CHARS } from '../../protocol/audit';
import { AssentError } from '../../protocol/errors';
import type { ActionDescription } from '../consent/action';
import { assertGrantFor } from '../consent/grant';
import type { ExecuteContext } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { entryIsAbsent, openParent, resolvePath, type ResolvedPath } from './safe-path';

export type Access = 'read' | 'write';

/** FILE_EXISTS when something is at the target (a new file, folder or rename destination). */
export async function assertAbsent(target: ResolvedPath): Promise<void> {
  const dir = await openParent(target);
  try {
    if (!(await entryIsAbsent(dir, target.name)))
      throw new AssentError('FILE_EXISTS', `Something already exists at ${target.canonical}.`);
  } finally {
    await dir.close();
  }
}

/** Resolves `requested` under the readable or writable roots of the rules. */
export function resolveFor(
  deps: FileDeps,
  access: Access,
  requested: string,
): Promise<ResolvedPath> {
  const roots = access === 'read' ? deps.rules.rules.readableRoots : deps.rules.rules.writableRoots;
  return resolvePath(requested, roots, deps.platform);
}

/** Throws FILE_OUTSIDE_ROOT when the effective rules (policy included) refuse a canonical path. */
export function assertAllowed(deps: FileDeps, access: Access, canonical: string): void {
  const refusal =
    access === 'read' ? deps.rules.readRefusal(canonical) : deps.rules.writeRefusal(canonical);
  if (refusal)
    throw new AssentError(
      'FILE_OUTSIDE_ROOT',
      `${canonical} is not allowed (${refusal.rule ?? refusal.source}).`,
      {
        details: { path: canonical, rule: refusal.rule ?? null },
      },
    );
}

/**
 * The first step of every execute: the grant must be genuine and bound to
 * this action (defence in depth; the router checked it too), the path must
 * still resolve to the same canonical target, and the rules must still allow it.
 */
export async function confirmTarget(
  deps: FileDeps,
  grant: unknown,
  context: ExecuteContext,
  access: Access,
  requested: string,
  expected: string = context.action.target,
): Promise<ResolvedPath> {
  assertGrantFor(grant, context.action);
  const resolved = await resolveFor(deps, access, requested);
  if (resolved.canonical !== expected)
    throw new AssentError(
      'FILE_RACE_DETECTED',
      `${requested} now resolves to ${resolved.canonical}, not to ${expected} as approved.`,
      { details: { path: expected } },
    );
  assertAllowed(deps, access, resolved.canonical);
  return resolved;
}

/** Throws FILE_TRANSFER_STOPPED when the grant was revoked, the request cancelled or the session ended. */
export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted)
    throw new AssentError('FILE_TRANSFER_STOPPED', undefined, { cause: signal.reason });
}

/** Audit strings are bounded (MAX_AUDIT_STRING_CHARS); a very long path is cut, marked with an ellipsis. */
function bounded(value: string | number | boolean | null): string | number | boolean | null {
  return typeof value === 'string' && value.length > MAX_AUDIT_STRING_CHARS
    ? `${value.slice(0, MAX_AUDIT_STRING_CHARS - 1)}…`
    : value;
}

/** Appends an audit record of a file action (digests and sizes, never contents). */
export async function auditFile(
  deps: FileDeps,
  context: { requestId: string; action?: ActionDescription },
  type: string,
  data: Record<string, string | number | boolean | null>,
): Promise<void> {
  await deps.audit.append({
    type,
    sessionId: deps.link.sessionId,
    actor: 'engineer',
    data: {
      requestId: context.requestId,
      ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, bounded(v)])),
    },
  });
}
