// The session screens end to end: get help, the code, the request with the
// security code, accept and refuse; plus the accessibility scan.
import { readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DesktopApp, DesktopFixture } from './support/desktop-harness';

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

/** Fills "Get help", starts, and returns the code shown on screen. */
async function getHelp(desktop: DesktopApp): Promise<string> {
  const { page } = desktop;
  await page.getByLabel('Ticket reference (optional)').fill('T-4711');
  await page.getByLabel('What is wrong?').fill('The nightly export stops at 80%.');
  await page.getByLabel('Since when?').fill('Monday');
  await page.getByLabel('What have you tried already?').fill('Restarted the service.');
  await desktop.screenshot('01-get-help');
  await page.getByRole('button', { name: 'Get help' }).click();
  const code = page.getByTestId('session-code');
  await code.waitFor();
  await expect.poll(() => page.getByText(/Expires in/).count()).toBe(1);
  await desktop.screenshot('02-session-code');
  return (await code.textContent())!.replace(/\s/g, '');
}

async function seriousViolations(desktop: DesktopApp): Promise<string[]> {
  const result = await new AxeBuilder({ page: desktop.page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('session request', () => {
  it('accepts after showing who asks and the same security code as the engineer', async () => {
    app = await DesktopApp.open(fixture);
    const { page, harness } = app;
    expect(await seriousViolations(app)).toEqual([]);
    const code = await getHelp(app);
    expect(code).toMatch(/^\d{10}$/);
    expect(await seriousViolations(app)).toEqual([]);

    const engineer = await harness.connect(code);
    await page.getByRole('heading', { name: 'Session request' }).waitFor();
    await expect.poll(() => page.getByTestId('sas').textContent()).toBe(engineer.sas);
    await expect.poll(() => page.getByText('Erin Engineer').count()).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByText('Acme support for Example Corp').count())
      .toBeGreaterThan(0);
    expect(await seriousViolations(app)).toEqual([]);
    await app.screenshot('03-session-request');

    const approved = engineer.waitForApproval();
    await page.getByRole('button', { name: 'Accept session' }).click();
    await approved;
    await expect.poll(() => page.getByTestId('phase').textContent()).toBe('Session active');
    await page.getByRole('button', { name: 'End session' }).waitFor();
    await app.screenshot('04-session-active');

    // Chat both ways.
    await page.getByRole('button', { name: 'Activity' }).click();
    const said = new Promise<string>((resolve) => engineer.once('chat', (m) => resolve(m.text)));
    await page.getByLabel('Message to the engineer').fill('Hello, I am here.');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await said).toBe('Hello, I am here.');
    engineer.chat('Thanks, looking at the export log now.');
    await page.getByText('Thanks, looking at the export log now.').waitFor();
    expect(await seriousViolations(app)).toEqual([]);
    await app.screenshot('05-activity-chat');

    // End session: one click, immediate, and the engineer learns it.
    const ended = engineer.whenEnded();
    await page.getByRole('button', { name: 'End session' }).click();
    expect((await ended).code).toBe('SESSION_ENDED');
    await expect.poll(() => page.getByTestId('phase').textContent()).toBe('Session ended');

    // History: the session from the audit log, the chain verified, the month exported.
    await page.getByRole('button', { name: 'History' }).click();
    await expect
      .poll(() => page.getByTestId('audit-verify').textContent())
      .toMatch(/^The audit log is intact \(\d+ records checked\)\.$/);
    await expect.poll(() => page.locator('table.data tbody tr').count()).toBe(1);
    expect(await page.locator('table.data tbody tr').textContent()).toContain('T-4711');
    expect(await seriousViolations(app)).toEqual([]);
    await app.screenshot('07-history');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csvFile = await (await download).path();
    const csv = readFileSync(csvFile, 'utf8').split('\r\n');
    expect(csv[0]).toMatch(/^session,start,end,duration_minutes,engineer,/);
    expect(csv[1]).toContain('Erin Engineer');
    expect(csv[1]).toContain('T-4711');

    // Ground rules: the rules in force, readable.
    await page.getByRole('button', { name: 'Ground rules' }).click();
    await page.getByRole('heading', { name: 'Acme support for Example Corp' }).waitFor();
    expect(await page.getByText('Countersigned by Ada Admin', { exact: false }).count()).toBe(1);
    expect(await seriousViolations(app)).toEqual([]);
    await app.screenshot('08-ground-rules');
  }, 60_000);

  it('refuses, and the engineer gets a clear refusal', async () => {
    app = await DesktopApp.open(fixture);
    const { page, harness } = app;
    const code = await getHelp(app);
    const engineer = await harness.connect(code);
    await page.getByRole('button', { name: 'Refuse' }).waitFor();
    const ended = engineer.whenEnded();
    await page.getByRole('button', { name: 'Refuse' }).click();
    expect((await ended).code).toBe('SESSION_REFUSED');
    await expect.poll(() => page.getByTestId('phase').textContent()).toBe('Session ended');
    await app.screenshot('06-session-refused');
  });
});
