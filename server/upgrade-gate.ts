// Authentication at the HTTP upgrade, before any WebSocket exists (issue 2;
// the `ws` habit in HOUSE-STYLE): decides, for one upgrade request, whether
// it is an agent, an engineer joining a code, or a side resuming a pair, or
// refuses it with an AssentError whose code carries the HTTP status. The
// order of checks matters: a blocked source is refused before any work, and
// code lookups happen only for authenticated engineers, so every guess costs
// a valid credential and counts against the source and the code.
import type { IncomingMessage } from 'node:http';
import { AssentError, isAssentError, type ErrorCode } from '../protocol/errors';
import {
  AUTH_HEADERS,
  RELAY_PATHS,
  ResumeToken,
  SessionCode,
  type RelayRole,
} from '../protocol/wire/relay';
import { verifyCertificate } from '../platform/credentials';
import { verifyAuthHeaders } from '../platform/relay-auth';
import type { NonceCache } from './nonce-cache';
import type { RevocationSource } from './revocation-source';
import { sourceKey, type SourceLimiter } from './source-limiter';
import type { Connection, PeerIdentity, Seat, Switchboard } from './switchboard';

/** Where an authenticated upgrade goes. */
export type Admission =
  | { kind: 'agent'; identity: PeerIdentity }
  | { kind: 'join'; identity: PeerIdentity; agent: Connection }
  | { kind: 'resume'; identity: PeerIdentity; seat: Seat };

/** The relay state the gate consults. */
export interface GateContext {
  vendorPublicKey: string;
  now: () => number;
  authFailures: SourceLimiter;
  codeFailures: SourceLimiter;
  nonces: NonceCache;
  revocations: RevocationSource;
  switchboard: Switchboard;
  isFull: () => boolean;
}

/** Maps a credential fault to the relay code the engineer is shown. */
const CREDENTIAL_TO_RELAY: Partial<Record<ErrorCode, ErrorCode>> = {
  CREDENTIAL_EXPIRED: 'RELAY_CREDENTIAL_EXPIRED',
  CREDENTIAL_NOT_YET_VALID: 'RELAY_CREDENTIAL_EXPIRED',
  CREDENTIAL_REVOKED: 'RELAY_CREDENTIAL_REVOKED',
  VENDOR_KEY_MISMATCH: 'RELAY_WRONG_VENDOR',
};

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function roleOf(req: IncomingMessage): RelayRole {
  const path = new URL(req.url ?? '/', 'http://relay').pathname;
  if (path === RELAY_PATHS.agent) return 'agent';
  if (path === RELAY_PATHS.engineer) return 'engineer';
  throw new AssentError('RELAY_BAD_REQUEST', `No endpoint at ${path.slice(0, 100)}.`);
}

function checkWebSocketHandshake(req: IncomingMessage): void {
  const ok =
    req.method === 'GET' &&
    header(req, 'upgrade')?.toLowerCase() === 'websocket' &&
    /^[+/0-9A-Za-z]{22}==$/.test(header(req, 'sec-websocket-key') ?? '') &&
    header(req, 'sec-websocket-version') === '13';
  if (!ok) throw new AssentError('RELAY_BAD_REQUEST', 'Not a valid WebSocket upgrade.');
}

function rateLimited(retryAfterMs: number): AssentError {
  return new AssentError('RELAY_RATE_LIMITED', undefined, { details: { retryAfterMs } });
}

/** Authenticates one upgrade request; throws an AssentError with an HTTP-status code. */
export async function admitUpgrade(req: IncomingMessage, ctx: GateContext): Promise<Admission> {
  if (ctx.isFull()) throw new AssentError('RELAY_FULL');
  const role = roleOf(req);
  checkWebSocketHandshake(req);
  const source = sourceKey(req.socket.remoteAddress);
  const resume = header(req, AUTH_HEADERS.resume);
  const code = header(req, AUTH_HEADERS.sessionCode);
  // Guessing codes or tokens blocks only further guesses from that source, not its agents.
  const guessing = role === 'engineer' || resume !== undefined;
  const wait = Math.max(
    ctx.authFailures.retryAfter(source, ctx.now()),
    guessing ? ctx.codeFailures.retryAfter(source, ctx.now()) : 0,
  );
  if (wait > 0) throw rateLimited(wait);

  if (resume !== undefined && !ResumeToken.safeParse(resume).success)
    throw new AssentError('RELAY_BAD_REQUEST', 'The resume token is malformed.');
  if (role === 'agent' && code !== undefined)
    throw new AssentError('RELAY_BAD_REQUEST', 'An agent does not join a code.');
  if (role === 'engineer' && resume === undefined && !SessionCode.safeParse(code).success)
    throw new AssentError('RELAY_BAD_REQUEST', 'The session code must be 10 digits.');
  const target = resume ?? (role === 'engineer' ? code! : '');

  let identity: PeerIdentity;
  try {
    identity = await authenticate(req, role, target, ctx);
  } catch (err) {
    ctx.authFailures.fail(source, ctx.now());
    throw err;
  }

  if (resume !== undefined) {
    const seat = ctx.switchboard.findSeat(resume, identity);
    if (seat) return { kind: 'resume', identity, seat };
    ctx.codeFailures.fail(source, ctx.now());
    throw new AssentError('RELAY_RESUME_UNKNOWN');
  }
  if (role === 'agent') return { kind: 'agent', identity };
  const agent = ctx.switchboard.claimCode(target);
  if (agent) return { kind: 'join', identity, agent };
  ctx.codeFailures.fail(source, ctx.now());
  throw new AssentError('RELAY_CODE_UNKNOWN');
}

async function authenticate(
  req: IncomingMessage,
  role: RelayRole,
  target: string,
  ctx: GateContext,
): Promise<PeerIdentity> {
  const path = role === 'agent' ? RELAY_PATHS.agent : RELAY_PATHS.engineer;
  const proof = verifyAuthHeaders(req.headers, { role, path, now: ctx.now(), target });
  let identity: PeerIdentity = { role, key: proof.key };
  if (proof.certificate) {
    const revocations = await ctx.revocations.refresh();
    try {
      const certificate = verifyCertificate(proof.certificate, ctx.vendorPublicKey, {
        revocations,
        now: new Date(ctx.now()),
      });
      identity = { role, key: proof.key, certificate };
    } catch (cause) {
      if (!isAssentError(cause)) throw cause;
      const code = CREDENTIAL_TO_RELAY[cause.code] ?? 'RELAY_UNAUTHENTICATED';
      throw new AssentError(code, cause.message, { cause });
    }
  }
  // Last, so a refused proof does not use up its nonce; no await after this point.
  if (!ctx.nonces.accept(proof.nonce, proof.time, ctx.now()))
    throw new AssentError('RELAY_UNAUTHENTICATED', 'Relay authentication failed: replayed proof.');
  return identity;
}
