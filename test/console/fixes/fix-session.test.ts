// End to end: engineer console `fix push` / `fix rollback` -> relay on
// 127.0.0.1 -> agent session -> action router -> consent engine -> fix
// handlers -> target files, and back. The agent runs under countersigned
// ground rules that list the release key as a fix signer.
import { realpathSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FIX_COMMANDS } from '../../../console/commands/fixes';
import type { ConsoleContext } from '../../../console/commands/console-command';
import { auditLogPath } from '../../../main/audit/audit-log';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { loadRegistry } from '../../../main/fixes/registry';
import type { AgentSessionServices } from '../../../main/session-services';
import { generateSigningKeyPair } from '../../../platform/signing';
import type { ConsentDecision } from '../../../protocol/consent';
import { SessionHarness } from '../../support/session-harness';
import {
  DEFAULT_FIX_FILES,
  makeWorld,
  sha,
  snapshot,
  type FixWorld,
} from '../../main/fixes/fix-world';

let harness: SessionHarness | undefined;
let world: FixWorld | undefined;
afterEach(async () => {
  await harness?.close();
  world?.cleanup();
  harness = undefined;
  world = undefined;
});

function consoleContext(link: ConsoleContext['link']) {
  const printed: string[] = [];
  const context: ConsoleContext = {
    link,
    print: (line) => printed.push(line),
    write: () => undefined,
    cwd: '/',
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout: new PassThrough() as unknown as NodeJS.WriteStream,
  };
  return { context, printed };
}

async function fixSession(decision: () => ConsentDecision) {
  const key = generateSigningKeyPair();
  harness = await SessionHarness.start({
    rules: { fixSigners: [{ name: 'Acme Release', publicKey: key.publicKey }] },
  });
  const h = harness;
  world = await makeWorld({ target: realpathSync(h.customerDir), key });
  const previews: unknown[] = [];
  const { engineer } = await h.approvedSession({
    onServices: (services: AgentSessionServices) => {
      services.engine.on('prompt', (p: { id: string; preview: unknown }) => {
        previews.push(p.preview);
        services.engine.decide(p.id, decision(), { approver: 'alice' });
      });
    },
  });
  return { engineer, previews, h, w: world };
}

const fix = FIX_COMMANDS.find((c) => c.name === 'fix')!;

describe('fixes over a real session', () => {
  it('`fix push` uploads, waits for approval, applies; `fix rollback` restores; both audited', async () => {
    const { engineer, h, w } = await fixSession(() => ({ how: 'allow-once' }));
    const before = await snapshot(w.target);
    const pkg = await w.pack({
      manifest: { binding: { deviceKey: h.agent.deviceKey.publicKey, customer: 'Example Corp' } },
    });
    const c = consoleContext(engineer.link);
    await fix.run(['push', pkg], c.context);
    expect(c.printed.join('\n')).toMatch(
      /waiting for approval… \(FIX-1: example 1\.0\.1, workaround, signed by Acme Release/,
    );
    expect(c.printed.at(-1)).toBe('applied FIX-1: example 1.0.1, 4 file(s)');
    expect((await snapshot(w.target))['app.conf']).toBe(sha(DEFAULT_FIX_FILES['app.conf']!));
    const installed = (await loadRegistry(h.dataDir)).fixes[0]!;
    expect(installed.approvedBy).toContain('Erin Engineer');

    await fix.run(['rollback', 'FIX-1'], c.context);
    expect(c.printed.at(-1)).toBe('rolled back FIX-1 (example 1.0.1): 4 file(s) restored');
    expect(await snapshot(w.target)).toEqual(before);

    const types: string[] = [];
    for await (const r of readAuditRecords(auditLogPath(h.dataDir))) types.push(r.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'action.requested',
        'action.decided',
        'fix.applied',
        'fix.rolled-back',
        'action.result',
      ]),
    );
  });

  it('a denied push prints the reason and changes nothing', async () => {
    const { engineer, w } = await fixSession(() => ({ how: 'deny', reason: 'change freeze' }));
    const before = await snapshot(w.target);
    const c = consoleContext(engineer.link);
    await fix.run(['push', await w.pack({})], c.context);
    expect(c.printed.at(-1)).toMatch(/^CONSENT_DENIED: .*\(approver/);
    expect(await snapshot(w.target)).toEqual(before);
  });

  it('a package bound to another device is refused before anyone is asked', async () => {
    const { engineer, previews, w } = await fixSession(() => ({ how: 'allow-once' }));
    const c = consoleContext(engineer.link);
    const other = generateSigningKeyPair().publicKey;
    await fix.run(
      ['push', await w.pack({ manifest: { binding: { deviceKey: other } } })],
      c.context,
    );
    expect(c.printed.at(-1)).toMatch(/^FIX_BINDING_MISMATCH: /);
    expect(previews).toEqual([]);
  });
});
