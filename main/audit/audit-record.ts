// Building, hashing and checking one audit record. The hash covers the
// canonical JSON of the record without its `hash` field, so any change to a
// record (or to its place in the chain, through seq and prevHash) changes it.
import { createHash } from 'node:crypto';
import {
  AuditEvent,
  AuditRecord,
  KNOWN_AUDIT_DATA,
  MAX_AUDIT_LINE_BYTES,
  MAX_AUDIT_STRING_CHARS,
} from '../../protocol/audit';
import { canonicalJson } from '../../protocol/identity';

/** Lower-case hex SHA-256 of a string or bytes: the digest records carry instead of contents. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The hash a record must carry: sha256 of the canonical JSON of everything but `hash`. */
export function computeRecordHash(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _hash, ...body } = record as AuditRecord;
  return sha256Hex(canonicalJson(body));
}

/** The exact line (without newline) a record is stored as. */
export function recordLine(record: AuditRecord): string {
  return canonicalJson(record);
}

function assertSmallJson(value: unknown, path: string, depth: number): void {
  if (depth > 16) throw new TypeError(`audit data too deep at ${path}`);
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`audit data ${path} is not a finite number`);
    return;
  }
  if (typeof value === 'string') {
    if (value.length > MAX_AUDIT_STRING_CHARS)
      throw new TypeError(
        `audit data ${path} is a string of ${value.length} characters; records hold digests, never contents (limit ${MAX_AUDIT_STRING_CHARS})`,
      );
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertSmallJson(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      assertSmallJson(item, `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw new TypeError(`audit data ${path} is not plain JSON (${typeof value})`);
}

/**
 * Checks an event from our own code: shape, small plain-JSON data, and the
 * fields of known types. Misuse throws a TypeError at once (HOUSE-STYLE habit 4).
 */
export function assertAuditEvent(event: AuditEvent): AuditEvent {
  if (event === null || typeof event !== 'object')
    throw new TypeError('audit event is not an object');
  assertSmallJson(event.data, 'data', 0);
  const parsed = AuditEvent.safeParse(event);
  if (!parsed.success)
    throw new TypeError(`invalid audit event ${String(event.type)}: ${parsed.error.message}`);
  const known = (
    KNOWN_AUDIT_DATA as Record<string, (typeof KNOWN_AUDIT_DATA)[keyof typeof KNOWN_AUDIT_DATA]>
  )[parsed.data.type];
  if (known) {
    const data = known.safeParse(parsed.data.data);
    if (!data.success)
      throw new TypeError(
        `invalid data for audit event ${parsed.data.type}: ${data.error.message}`,
      );
  }
  return parsed.data;
}

/**
 * The canonical line of a record from the canonical JSON of its body: "hash"
 * sorts just before the top-level "prevHash", which is the last such key in
 * the text (only strings and numbers follow it, and strings escape quotes).
 * Saves a second canonicalJson per record when sealing and verifying.
 */
function insertHash(bodyJson: string, hash: string): string | null {
  const at = bodyJson.lastIndexOf(',"prevHash":"');
  return at === -1 ? null : `${bodyJson.slice(0, at)},"hash":"${hash}"${bodyJson.slice(at)}`;
}

/** Seals an event into the next record of the chain. */
export function sealRecord(
  event: AuditEvent,
  seq: number,
  prevHash: string,
  time: Date,
): { record: AuditRecord; line: string } {
  const body: Omit<AuditRecord, 'hash'> = {
    seq,
    time: time.toISOString(),
    prevHash,
    type: event.type,
    ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
    ...(event.actor === undefined ? {} : { actor: event.actor }),
    data: event.data,
  };
  const bodyJson = canonicalJson(body);
  const line = insertHash(bodyJson, sha256Hex(bodyJson))!;
  if (Buffer.byteLength(line) + 1 > MAX_AUDIT_LINE_BYTES)
    throw new TypeError(
      `audit record ${event.type} is ${Buffer.byteLength(line)} bytes; the limit is ${MAX_AUDIT_LINE_BYTES}`,
    );
  // The record handed back is what was stored, not the caller's (mutable) objects.
  return { record: JSON.parse(line) as AuditRecord, line };
}

/** Why a stored line is not a valid record, or null when it is one (hash included). */
export type LineCheck =
  | { ok: true; record: AuditRecord }
  | { ok: false; code: 'AUDIT_RECORD_INVALID' | 'AUDIT_CHAIN_BROKEN'; reason: string };

/** Parses and checks one stored line on its own: JSON, schema, canonical form, own hash. */
export function checkRecordLine(line: string): LineCheck {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, code: 'AUDIT_RECORD_INVALID', reason: 'not valid JSON' };
  }
  const parsed = AuditRecord.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'record';
    return {
      ok: false,
      code: 'AUDIT_RECORD_INVALID',
      reason: `does not match the record schema (${where}: ${issue?.message ?? 'invalid'})`,
    };
  }
  const record = parsed.data;
  const { hash, ...body } = record;
  const bodyJson = canonicalJson(body);
  if (sha256Hex(bodyJson) !== hash)
    return {
      ok: false,
      code: 'AUDIT_CHAIN_BROKEN',
      reason: 'hash does not match the record content',
    };
  if (insertHash(bodyJson, hash) !== line)
    return { ok: false, code: 'AUDIT_RECORD_INVALID', reason: 'record is not in canonical form' };
  return { ok: true, record };
}
