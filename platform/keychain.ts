// The OS keychain, the only place Assent keeps private keys (issue 2). Backed
// by @napi-rs/keyring: the Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows. Entries are named by service and account;
// accounts are scoped by a profile id so several agents or engineers on one
// machine (and the test suite) never share a key.
import { Entry } from '@napi-rs/keyring';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AssentError } from '../protocol/errors';

/** Which product part a secret belongs to. */
export type KeychainService = 'assent-agent' | 'assent-engineer' | 'assent-vendor';

/** A stable short id for a data or config directory, used to scope keychain accounts. */
export function profileIdFor(directory: string): string {
  return createHash('sha256').update(resolve(directory)).digest('hex').slice(0, 16);
}

/**
 * On Linux the keychain is the Secret Service, reached over the session's
 * D-Bus. Without a session bus the keyring library does not always fail:
 * here `vendor init` reported its key stored and `vendor show`, the next
 * process, did not find it (another time both failed with AccessDenied). So
 * no session bus is refused up front, with the reason.
 */
export function sessionBusProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null;
  if (env['DBUS_SESSION_BUS_ADDRESS']) return null;
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime && existsSync(join(runtime, 'bus'))) return null;
  return 'this session has no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus), so there is no Secret Service to keep private keys in. Run Assent in a desktop session, or in a session bus with a Secret Service (DEVELOPERS.md, "Without a desktop session")';
}

function entry(service: KeychainService, account: string): Entry {
  const problem = sessionBusProblem();
  if (problem !== null)
    throw new AssentError('KEYCHAIN_UNAVAILABLE', `The OS keychain is not reachable: ${problem}.`);
  try {
    return new Entry(service, account);
  } catch (cause) {
    throw new AssentError('KEYCHAIN_UNAVAILABLE', undefined, { cause });
  }
}

/** Stores `secret` under service/account, replacing any previous value. */
export function storeSecret(service: KeychainService, account: string, secret: string): void {
  try {
    entry(service, account).setPassword(secret);
  } catch (cause) {
    if (cause instanceof AssentError) throw cause;
    throw new AssentError(
      'KEYCHAIN_UNAVAILABLE',
      `The OS keychain refused to store a secret: ${String((cause as Error).message ?? cause)}`,
      { cause },
    );
  }
}

/** Reads a secret, or undefined when there is none. */
export function loadSecret(service: KeychainService, account: string): string | undefined {
  try {
    return entry(service, account).getPassword() ?? undefined;
  } catch (cause) {
    if (cause instanceof AssentError) throw cause;
    throw new AssentError(
      'KEYCHAIN_UNAVAILABLE',
      `The OS keychain could not be read: ${String((cause as Error).message ?? cause)}`,
      { cause },
    );
  }
}

/** Removes a secret; true when one was there. */
export function deleteSecret(service: KeychainService, account: string): boolean {
  try {
    return entry(service, account).deletePassword();
  } catch (cause) {
    if (cause instanceof AssentError) throw cause;
    throw new AssentError('KEYCHAIN_UNAVAILABLE', undefined, { cause });
  }
}
