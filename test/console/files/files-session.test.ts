// End to end: the engineer console's file commands -> relay on 127.0.0.1 ->
// agent session -> action router -> consent engine -> file handlers -> disk,
// and back, with E2E encryption. Nothing is mocked.
import { promises as fsp, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsentPrompt } from '../../../main/consent/consent-engine';
import type { ConsentDecision } from '../../../protocol/consent';
import type { ConsoleContext } from '../../../console/commands/console-command';
import { FILE_COMMANDS } from '../../../console/commands/files';
import { getFile, putFile, uploadContent } from '../../../console/files/file-client';
import type { EngineerLink } from '../../../console/engineer-link';
import { isAssentError } from '../../../protocol/errors';
import { SessionHarness } from '../../support/session-harness';
import { createHash } from 'node:crypto';

let harness: SessionHarness;
afterEach(async () => {
  await harness.close();
});

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

interface Setup {
  decide?: (prompt: ConsentPrompt) => ConsentDecision;
  proxy?: boolean;
}

async function fileSession(setup: Setup = {}) {
  harness = await SessionHarness.start(
    setup.proxy ? { proxy: true, agent: { resumeGraceMs: 10_000 } } : {},
  );
  const root = realpathSync(harness.customerDir);
  const local = join(realpathSync(harness.root), 'engineer');
  await fsp.mkdir(local);
  // Reads under the customer folder are a standing consent of these rules.
  await harness.installRules({ standingConsents: [{ kind: 'file.read', under: root }] });
  const prompts: ConsentPrompt[] = [];
  const { engineer } = await harness.approvedSession({
    onServices: (services) => {
      services.engine.on('prompt', (p: ConsentPrompt) => {
        prompts.push(p);
        services.engine.decide(p.id, setup.decide?.(p) ?? { how: 'allow-once' }, {
          approver: 'alice',
        });
      });
    },
  });
  return { engineer, link: engineer.link, root, local, prompts };
}

function consoleContext(link: EngineerLink, cwd: string) {
  const printed: string[] = [];
  let written = '';
  const context: ConsoleContext = {
    link,
    print: (line) => printed.push(line),
    write: (text) => (written += text),
    cwd,
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout: new PassThrough() as unknown as NodeJS.WriteStream,
  };
  return { context, printed, written: () => written };
}

const command = (name: string) => FILE_COMMANDS.find((c) => c.name === name)!;

describe('file commands end to end', () => {
  it('ls, stat, get, put, edit, mv, rm, find, grants', async () => {
    const s = await fileSession({
      decide: (p) =>
        p.preview.kind === 'file.list'
          ? {
              how: 'allow-session',
              scope: { kind: 'file.list', pathPrefix: p.preview.path!.canonical },
            }
          : { how: 'allow-once' },
    });
    const c = consoleContext(s.link, s.local);
    await fsp.writeFile(join(s.root, 'app.conf'), 'port=80\nhost=a\n');
    await command('ls').run([s.root], c.context);
    expect(c.printed.some((l) => l.endsWith('app.conf'))).toBe(true);
    expect(c.printed).toContain(`waiting for approval… (file.list ${s.root})`);
    await command('stat').run([join(s.root, 'app.conf')], c.context);
    expect(c.printed.some((l) => l.includes('file, 15 bytes'))).toBe(true);
    // Reads are a standing consent here: no prompt.
    const before = s.prompts.length;
    await command('get').run([join(s.root, 'app.conf')], c.context);
    expect(s.prompts.length).toBe(before);
    expect(await fsp.readFile(join(s.local, 'app.conf'), 'utf8')).toBe('port=80\nhost=a\n');
    expect(c.written()).toContain('100%');
    await fsp.writeFile(join(s.local, 'notes.txt'), 'hello\n');
    await command('put').run(['notes.txt', join(s.root, 'notes.txt')], c.context);
    expect(await fsp.readFile(join(s.root, 'notes.txt'), 'utf8')).toBe('hello\n');
    expect(s.prompts.at(-1)!.preview.change?.diff).toContain('+hello');
    // edit: a scripted $EDITOR changes the fetched copy.
    process.env['EDITOR'] = `sed -i s/port=80/port=8080/`;
    await command('edit').run([join(s.root, 'app.conf')], c.context);
    expect(await fsp.readFile(join(s.root, 'app.conf'), 'utf8')).toBe('port=8080\nhost=a\n');
    expect(s.prompts.at(-1)!.preview.change?.diff).toContain('+port=8080');
    expect(c.printed.at(-1)).toMatch(/old version kept as backup-/);
    await command('mv').run([join(s.root, 'notes.txt'), join(s.root, 'notes.md')], c.context);
    expect(c.printed.at(-1)).toBe(`${join(s.root, 'notes.txt')} -> ${join(s.root, 'notes.md')}`);
    await command('find').run([s.root, '--content', 'host'], c.context);
    expect(c.printed).toContain(`${join(s.root, 'app.conf')}:2`);
    await command('rm').run([join(s.root, 'notes.md')], c.context);
    expect(c.printed.at(-1)).toMatch(/moved to the trash as trash-/);
    expect((await fsp.readdir(s.root)).sort()).toEqual(['app.conf']);
    await command('grants').run([], c.context);
    expect(c.printed.at(-1)).toMatch(/file\.list .*customer {2}used 1/);
  });

  it('a denial prints the reason; a stale edit base prints FILE_CHANGED', async () => {
    const s = await fileSession({
      decide: (p) =>
        p.preview.kind === 'file.delete'
          ? { how: 'deny', reason: 'not that one' }
          : { how: 'allow-once' },
    });
    const c = consoleContext(s.link, s.local);
    await fsp.writeFile(join(s.root, 'keep.txt'), 'x');
    await command('rm').run([join(s.root, 'keep.txt')], c.context);
    expect(c.printed.at(-2)).toMatch(/^waiting for approval…/);
    expect(c.printed.at(-1)).toMatch(/^CONSENT_DENIED: .*not that one.*\(approver: /);
    expect(await fsp.readFile(join(s.root, 'keep.txt'), 'utf8')).toBe('x');
    // The file changes while the engineer's editor is open.
    process.env['EDITOR'] =
      `sh -c 'echo changed >> "$0"; echo concurrent >> ${join(s.root, 'keep.txt')}'`;
    await command('edit').run([join(s.root, 'keep.txt')], c.context);
    expect(c.printed.at(-1)).toMatch(/^FILE_CHANGED: /);
    expect(await fsp.readFile(join(s.root, 'keep.txt'), 'utf8')).toBe('xconcurrent\n');
  });

  it('get into a local folder keeps the remote name; bad local paths are said plainly, before anything is asked', async () => {
    const s = await fileSession();
    const c = consoleContext(s.link, s.local);
    await fsp.writeFile(join(s.root, 'a.txt'), 'hello\n');
    await fsp.mkdir(join(s.local, 'downloads'));
    await command('get').run([join(s.root, 'a.txt'), 'downloads'], c.context);
    expect(await fsp.readFile(join(s.local, 'downloads', 'a.txt'), 'utf8')).toBe('hello\n');

    const missing = join(s.local, 'no-such-folder', 'a.txt');
    await command('get').run([join(s.root, 'a.txt'), missing], c.context);
    expect(c.printed.at(-1)).toBe(
      `IO_FAILED: Cannot write ${missing} on this machine: no such file or folder.`,
    );
    const asked = s.prompts.length;
    await command('put').run([join(s.local, 'missing.txt'), join(s.root, 'b.txt')], c.context);
    expect(c.printed.at(-1)).toBe(
      `IO_FAILED: Cannot read ${join(s.local, 'missing.txt')} on this machine: no such file or folder.`,
    );
    await command('put').run([join(s.local, 'downloads'), join(s.root, 'b.txt')], c.context);
    expect(c.printed.at(-1)).toBe(
      `FILE_NOT_REGULAR: ${join(s.local, 'downloads')} is a folder on this machine; one file is sent at a time.`,
    );
    expect(s.prompts.length).toBe(asked);
    await expect(fsp.stat(join(s.root, 'b.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('put hashes while it sends (no hash in the announcement); a local file that shrinks mid-upload is FILE_CHANGED', async () => {
    const s = await fileSession();
    const size = 6 * 1024 * 1024;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 8) data.writeDoubleLE(i * 1.5, i);
    const source = join(s.local, 'up.bin');
    await fsp.writeFile(source, data);
    const written = await putFile(s.link, join(s.root, 'up.bin'), source);
    expect(written.sha256).toBe(sha(data));
    expect(s.prompts[0]!.preview.file?.sha256).toBe(sha(data));
    expect(sha(await fsp.readFile(join(s.root, 'up.bin')))).toBe(sha(data));
    // Emptied after the first chunk went out: at most the block read ahead follows.
    let truncated = false;
    const failed = await uploadContent(s.link, source, () => {
      if (!truncated) void fsp.truncate(source, 0);
      truncated = true;
    }).catch((err: unknown) => err);
    expect(isAssentError(failed) && failed.code).toBe('FILE_CHANGED');
  });

  it('a 64 MiB read dropped with the connection resumes from the partial file with the right hash', async () => {
    const s = await fileSession({ proxy: true });
    const size = 64 * 1024 * 1024;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 8) data.writeDoubleLE(i * 1.000001, i);
    await fsp.writeFile(join(s.root, 'big.bin'), data);
    const local = join(s.local, 'big.bin');
    let cut = false;
    const first = await getFile(s.link, join(s.root, 'big.bin'), local, {
      onProgress: (done) => {
        if (!cut && done >= 8 * 1024 * 1024) {
          cut = true;
          harness.proxy!.cutAll();
        }
      },
    }).catch((err: unknown) => err);
    // The drop ends the transfer in flight (the session itself resumes).
    expect(cut).toBe(true);
    expect(isAssentError(first), String(first)).toBe(true);
    const partial = (await fsp.stat(local)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(size);
    await new Promise<void>((resolve) => {
      const check = () => (s.engineer.state === 'active' ? resolve() : setTimeout(check, 20));
      check();
    });
    const resumed = await getFile(s.link, join(s.root, 'big.bin'), local, { resume: true });
    expect(resumed.sha256).toBe(sha(data));
    expect(resumed.resumedFrom).toBe(partial);
    expect(sha(await fsp.readFile(local))).toBe(sha(data));
  });
});
