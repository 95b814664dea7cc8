// `assent-relay`: runs the vendor relay until SIGINT or SIGTERM (issue 2), or,
// with --stop-with-stdin, until its standard input ends.
// TLS (wss) when given a certificate; plain ws only on a loopback host, with
// a warning, because session codes and credentials would otherwise cross the
// network in the clear (content is end-to-end encrypted either way).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AssentError, isAssentError } from '../../protocol/errors';
import { VendorPublicKey } from '../../protocol/identity';
import { createRelay } from '../relay';

const HELP = `Usage: assent-relay [options]

Runs the Assent relay: pairs agents and engineers and forwards their
end-to-end encrypted frames. Keeps metadata only (who, when, bytes).

Options:
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port to listen on, 0 for any free port (default 8443)
  --tls-cert FILE    PEM certificate: serve wss (required off loopback)
  --tls-key FILE     PEM private key of --tls-cert
  --data DIR         data directory: revocations.json, relay-sessions.jsonl
                     (default $XDG_DATA_HOME/assent-relay)
  --vendor-key FILE  the vendor public key, vendor.pub (default DIR/vendor.pub)
  --stop-with-stdin  also stop when standard input ends (a relay started by
                     another program: it never outlives that program)
  -h, --help         show this help
`;

/** True for addresses that never leave this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'assent-relay');
}

async function readVendorKey(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new AssentError(
      'CONFIG_INVALID',
      `No vendor public key at ${file}. Copy vendor.pub from the vendor admin (assent-engineer vendor init) there, or pass --vendor-key FILE.`,
      { cause },
    );
  }
  try {
    return VendorPublicKey.parse(JSON.parse(text)).publicKey;
  } catch (cause) {
    throw new AssentError('CONFIG_INVALID', `${file} is not an Assent vendor public key.`, {
      cause,
    });
  }
}

function fail(message: string): number {
  process.stderr.write(`assent-relay: ${message}\n`);
  return 2;
}

/** Entry point of bin/assent-relay.js; resolves with the exit code after shutdown. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8443' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        data: { type: 'string' },
        'vendor-key': { type: 'string' },
        'stop-with-stdin': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail('--port must be 0-65535');
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key']))
    return fail('--tls-cert and --tls-key go together');
  const host = values.host;
  const useTls = Boolean(values['tls-cert']);
  if (!useTls && !isLoopbackHost(host))
    return fail(`refusing plain ws on ${host}: give --tls-cert and --tls-key off loopback`);

  const dataDir = values.data ?? defaultDataDir();
  try {
    const vendorPublicKey = await readVendorKey(
      values['vendor-key'] ?? join(dataDir, 'vendor.pub'),
    );
    const tls = useTls
      ? { cert: await readFile(values['tls-cert']!), key: await readFile(values['tls-key']!) }
      : undefined;
    if (!tls) process.stderr.write('assent-relay: warning: plain ws (no TLS), loopback only\n');
    const relay = await createRelay({
      host,
      port,
      ...(tls ? { tls } : {}),
      vendorPublicKey,
      dataDir,
      log: (line) => process.stderr.write(`assent-relay: ${line}\n`),
    });
    process.stdout.write(`assent-relay listening on ${relay.url}\n`);
    await new Promise<void>((resolve) => {
      const watchStdin = values['stop-with-stdin'] === true;
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (watchStdin) process.stdin.off('end', stop).off('close', stop).pause();
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // The program that started this relay ended, however it ended (even kill -9): its end of the pipe closed.
      if (watchStdin) process.stdin.on('end', stop).on('close', stop).resume();
    });
    await relay.close();
    process.stdout.write('assent-relay stopped\n');
    return 0;
  } catch (err) {
    if (isAssentError(err)) return fail(`${err.message} (${err.code})`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      return fail(`cannot listen on ${host}:${port}: ${code}`);
    if (code === 'ENOENT') return fail((err as Error).message);
    throw err;
  }
}
