/** The meaning of one stable error code, as listed in docs/protocol.md. */
export interface ErrorCodeInfo {
  /** One sentence a person can read: what went wrong and, where useful, what to do. */
  readonly meaning: string;
  /** HTTP status the relay answers with when the code rejects an upgrade. */
  readonly httpStatus?: number;
  /** WebSocket close code used when the code ends a connection. */
  readonly closeCode?: number;
}

/** Declares a group of error codes; keeps the literal keys for the `ErrorCode` union. */
export function defineErrorCodes<const T extends Record<string, ErrorCodeInfo>>(codes: T): T {
  return codes;
}
