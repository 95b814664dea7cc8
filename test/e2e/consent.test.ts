// The consent queue end to end: what the approver sees, what each decision
// does on disk and for the engineer, grants and their revocation, auto-deny,
// and ending the session in the middle of a transfer.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DesktopApp, DesktopFixture } from './support/desktop-harness';
import { act, readFile as readOnStream, sha256, upload } from './support/engineer-files';

/** The few page globals these tests read (no DOM types in the Node tsconfig). */
interface PageGlobals {
  assent: { consentDecide(request: unknown): Promise<unknown> };
  document: {
    activeElement: { tagName: string } | null;
    documentElement: { scrollWidth: number; clientWidth: number };
  };
}

let fixture: DesktopFixture;
let app: DesktopApp | undefined;
beforeAll(async () => {
  fixture = await DesktopFixture.start();
}, 60_000);
afterAll(() => fixture?.close());
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const ORIGINAL = ['[export]', 'batch_size = 500', 'timeout = 30', 'retries = 1', ''].join('\n');
const CHANGED = ['[export]', 'batch_size = 100', 'timeout = 120', 'retries = 1', ''].join('\n');

async function seriousViolations(desktop: DesktopApp): Promise<string[]> {
  const result = await new AxeBuilder({ page: desktop.page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help}`);
}

describe('consent queue', () => {
  it('an edit is approved after its diff is shown, and the file changes on disk', async () => {
    app = await DesktopApp.open(fixture);
    const { page, filesRoot } = app;
    const target = join(filesRoot, 'export.conf');
    await writeFile(target, ORIGINAL);
    const engineer = await app.acceptedEngineer();
    const staged = await upload(engineer.link, Buffer.from(CHANGED));
    const edit = act(engineer.link, 'file.edit', {
      path: target,
      baseSha256: sha256(ORIGINAL),
      ...staged,
    });

    const card = page.locator('article.consent-card');
    await card.waitFor();
    // Focus is on the newest card, not on a button; a stray Enter approves nothing.
    await expect
      .poll(() =>
        page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.tagName),
      )
      .toBe('ARTICLE');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toMatch(/New approval request/);
    expect(await page.getByTestId('consent-path').textContent()).toBe(target);
    await expect
      .poll(() => card.locator('tr.del td.code').allTextContents())
      .toEqual(['batch_size = 500', 'timeout = 30']);
    expect(await card.locator('tr.add td.code').allTextContents()).toEqual([
      'batch_size = 100',
      'timeout = 120',
    ]);
    expect(await readFile(target, 'utf8')).toBe(ORIGINAL);
    expect(await seriousViolations(app)).toEqual([]);
    await app.screenshot('10-consent-edit-unified');
    await card.getByLabel('Side by side').check();
    await app.screenshot('11-consent-edit-side-by-side');

    // 200% zoom: the window's CSS width halves; nothing may need sideways scrolling.
    await page.setViewportSize({ width: 550, height: 450 });
    await card.getByLabel('Unified').check();
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as PageGlobals).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await app.screenshot('18-consent-at-200-percent');
    await page.setViewportSize({ width: 1100, height: 900 });

    // Keyboard only: Tab to "Allow once", Space.
    const allowOnce = card.getByRole('button', { name: 'Allow once' });
    await expect.poll(() => allowOnce.isEnabled()).toBe(true);
    await allowOnce.focus();
    await page.keyboard.press('Space');
    const result = await edit;
    expect(result).toMatchObject({ ok: true, result: { sha256: sha256(CHANGED) } });
    expect(await readFile(target, 'utf8')).toBe(CHANGED);
    await expect.poll(() => card.count()).toBe(0);
    await page.getByRole('button', { name: 'Activity' }).click();
    await page.getByText(`Allowed: Change a file: ${target}`).waitFor();
    await app.screenshot('12-activity-after-edit');
  });

  it('a denial reaches the engineer and nothing is read', async () => {
    app = await DesktopApp.open(fixture);
    const { page, filesRoot } = app;
    const secret = join(filesRoot, 'payroll.csv');
    await writeFile(secret, 'name,salary\n');
    const engineer = await app.acceptedEngineer();
    const read = readOnStream(engineer.link, secret);
    const card = page.locator('article.consent-card');
    await card.waitFor();
    await card.getByRole('button', { name: 'Deny' }).click();
    expect(await read.result).toEqual({ ok: false, code: 'CONSENT_DENIED' });
    expect(read.received()).toBe(0);
    await page.getByRole('button', { name: 'Activity' }).click();
    await page.getByText(`Denied: Read a file: ${secret}`).waitFor();
  });

  it('a grant for this session covers similar actions until it is revoked', async () => {
    app = await DesktopApp.open(fixture);
    const { page, filesRoot } = app;
    for (const name of ['a.log', 'b.log', 'c.log']) await writeFile(join(filesRoot, name), name);
    const engineer = await app.acceptedEngineer();
    const first = act(engineer.link, 'file.stat', { path: join(filesRoot, 'a.log') });
    const card = page.locator('article.consent-card');
    await card.waitFor();
    await card.getByRole('button', { name: 'Allow for this session…' }).click();
    await card.getByLabel('For how long').selectOption({ label: '15 minutes' });
    await app.screenshot('13-consent-scope');
    await card.getByRole('button', { name: 'Allow similar actions' }).click();
    expect(await first).toMatchObject({ ok: true });

    // Covered by the grant: no prompt.
    expect(await act(engineer.link, 'file.stat', { path: join(filesRoot, 'b.log') })).toMatchObject(
      { ok: true },
    );
    expect(await card.count()).toBe(0);

    await page.getByRole('button', { name: 'Grants' }).click();
    const row = page.locator('tr[data-grant-id]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain(filesRoot);
    expect(await seriousViolations(app)).toEqual([]);
    await app.screenshot('14-grants');
    await row.getByRole('button', { name: `Revoke the grant for ${filesRoot}` }).click();
    await expect.poll(() => row.count()).toBe(0);

    // Revoked: asked again.
    const third = act(engineer.link, 'file.stat', { path: join(filesRoot, 'c.log') });
    await card.waitFor();
    await card.getByRole('button', { name: 'Deny' }).click();
    expect(await third).toEqual({ ok: false, code: 'CONSENT_DENIED' });
  });

  it('no answer before the timeout means deny', async () => {
    app = await DesktopApp.open(fixture, { rules: { consentTimeoutSeconds: 10 } });
    const { page, filesRoot } = app;
    const file = join(filesRoot, 'notes.txt');
    await writeFile(file, 'x');
    const engineer = await app.acceptedEngineer();
    const read = readOnStream(engineer.link, file);
    const card = page.locator('article.consent-card');
    await card.waitFor();
    await expect
      .poll(() => page.getByTestId('auto-deny').textContent())
      .toMatch(/Denied automatically in/);
    await app.screenshot('15-consent-countdown');
    expect(await read.result).toEqual({ ok: false, code: 'CONSENT_TIMEOUT' });
    await expect.poll(() => card.count()).toBe(0);
    await page.getByRole('button', { name: 'Activity' }).click();
    await page.getByText(`Denied because nobody answered in time: Read a file: ${file}`).waitFor();
  }, 30_000);

  it('ending the session stops a transfer in flight', async () => {
    app = await DesktopApp.open(fixture);
    const { page, filesRoot } = app;
    const big = join(filesRoot, 'export.dump');
    await writeFile(big, Buffer.alloc(256 * 1024 * 1024, 7));
    const engineer = await app.acceptedEngineer();
    const ended = engineer.whenEnded();
    const read = readOnStream(engineer.link, big);
    const card = page.locator('article.consent-card');
    await card.waitFor();
    await card.getByRole('button', { name: 'Allow once' }).click();
    await expect.poll(() => read.received(), { timeout: 20_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'End session' }).click();
    expect((await ended).code).toBe('SESSION_ENDED');
    const final = await read.result;
    expect(final.ok).toBe(false);
    expect(read.received()).toBeLessThan(256 * 1024 * 1024);
    await expect.poll(() => page.getByTestId('phase').textContent()).toBe('Session ended');
  }, 40_000);

  it('a supervised command shows its full line, then runs in the terminal mirror', async () => {
    app = await DesktopApp.open(fixture, { rules: { terminal: 'supervised' } });
    const { page } = app;
    const engineer = await app.acceptedEngineer();
    const command = act(engineer.link, 'terminal.command', {
      line: 'echo hello-from-the-engineer && uname -s',
    });
    const card = page.locator('article.consent-card');
    await card.waitFor();
    expect(await page.getByTestId('consent-command').textContent()).toBe(
      'echo hello-from-the-engineer && uname -s',
    );
    await app.screenshot('16-consent-command');
    const allowOnce = card.getByRole('button', { name: 'Allow once' });
    await expect.poll(() => allowOnce.isEnabled()).toBe(true);
    await allowOnce.click();
    expect(await command).toMatchObject({ ok: true, result: { exitCode: 0 } });
    await page.getByRole('button', { name: 'Activity' }).click();
    const mirror = page.getByTestId('terminal');
    await expect.poll(() => mirror.textContent()).toContain('hello-from-the-engineer');
    // xterm's own layout styles applied under the strict CSP (rows have a height).
    const rowHeight = await mirror
      .locator('.xterm-rows > div')
      .first()
      .evaluate((row) => (row as unknown as { offsetHeight: number }).offsetHeight);
    expect(rowHeight).toBeGreaterThan(0);
    await app.screenshot('17-terminal-mirror');
  }, 40_000);

  it('a script in the page cannot approve with a nonce it was not given', async () => {
    app = await DesktopApp.open(fixture);
    const { page, filesRoot } = app;
    const file = join(filesRoot, 'secret.txt');
    await writeFile(file, 'top secret');
    const engineer = await app.acceptedEngineer();
    const read = readOnStream(engineer.link, file);
    const card = page.locator('article.consent-card');
    await card.waitFor();
    const requestId = await card.getAttribute('data-request-id');
    // As a compromised renderer would: call the bridge directly with a guessed nonce.
    const forged = await page.evaluate(async (id) => {
      const api = (globalThis as unknown as PageGlobals).assent;
      try {
        await api.consentDecide({
          requestId: id,
          nonce: 'A'.repeat(43),
          decision: { how: 'allow-once' },
        });
        return 'approved';
      } catch (err: unknown) {
        return (err as Error).message;
      }
    }, requestId!);
    expect(forged).toMatch(/^APPROVAL_NONCE_INVALID: /);
    expect(read.received()).toBe(0);
    await card.getByRole('button', { name: 'Deny' }).click();
    expect(await read.result).toEqual({ ok: false, code: 'CONSENT_DENIED' });
  });
});
