// Every stable error code, listed once. docs/protocol.md carries the same
// table (a test keeps them in step). HOUSE-STYLE habit 4: faults from the
// peer, the disk or the network are AssentErrors with one of these codes, a
// human message, and the original error as `cause`.
import { AUDIT_ERROR_CODES } from './audit';
import { CHANNEL_ERROR_CODES } from './channel';
import { COMMON_ERROR_CODES } from './common';
import { CONSENT_ERROR_CODES } from './consent';
import { RULES_ERROR_CODES } from './rules';
import type { ErrorCodeInfo } from './define';
import { DESKTOP_ERROR_CODES } from './desktop';
import { FIX_ERROR_CODES } from './fixes';
import { FILES_ERROR_CODES } from './files';
import { IDENTITY_ERROR_CODES } from './identity';
import { RELAY_ERROR_CODES } from './relay';
import { SESSION_ERROR_CODES } from './session';
import { TERMINAL_ERROR_CODES } from './terminal';

export type { ErrorCodeInfo } from './define';

/** All error codes with their meaning, grouped by part (the group order is the docs order). */
export const ERROR_CODE_GROUPS = {
  common: COMMON_ERROR_CODES,
  relay: RELAY_ERROR_CODES,
  channel: CHANNEL_ERROR_CODES,
  identity: IDENTITY_ERROR_CODES,
  session: SESSION_ERROR_CODES,
  terminal: TERMINAL_ERROR_CODES,
  audit: AUDIT_ERROR_CODES,
  desktop: DESKTOP_ERROR_CODES,
  fixes: FIX_ERROR_CODES,
  consent: CONSENT_ERROR_CODES,
  rules: RULES_ERROR_CODES,
  files: FILES_ERROR_CODES,
} as const;

type Groups = typeof ERROR_CODE_GROUPS;
type AllCodes = { [G in keyof Groups]: Groups[G] }[keyof Groups];

/** Every stable error code. */
export type ErrorCode = AllCodes extends infer U
  ? U extends Record<infer K, ErrorCodeInfo>
    ? K & string
    : never
  : never;

/** Flat map from code to meaning. */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = Object.assign(
  {},
  ...Object.values(ERROR_CODE_GROUPS),
) as Record<ErrorCode, ErrorCodeInfo>;

/** True when `value` is one of the stable codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** A fault from a peer, the disk or the network, with a stable code. */
export class AssentError extends Error {
  override readonly name = 'AssentError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(
      message ?? ERROR_CODES[code].meaning,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.details = options?.details;
  }

  /** The wire form: code and message, never a stack. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** True when `err` is an AssentError (optionally with the given code). */
export function isAssentError(err: unknown, code?: ErrorCode): err is AssentError {
  return err instanceof AssentError && (code === undefined || err.code === code);
}
