// The UI in each of the four languages, picked from the OS locale: every
// visible string, date and size comes from the catalogue of that language.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DesktopApp, DesktopFixture } from './support/desktop-harness';
import { readFile } from './support/engineer-files';

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

const CASES = [
  {
    locale: 'fr-FR',
    lang: 'fr',
    getHelp: 'Obtenir de l’aide',
    request: 'Demande de session',
    accept: 'Accepter la session',
    card: 'Lire un fichier',
    deny: 'Refuser',
    size: /1,5\sko/,
  },
  {
    locale: 'de-DE',
    lang: 'de',
    getHelp: 'Hilfe anfordern',
    request: 'Sitzungsanfrage',
    accept: 'Sitzung annehmen',
    card: 'Datei lesen',
    deny: 'Ablehnen',
    size: /1,5\skB/,
  },
  {
    locale: 'nb-NO',
    lang: 'nb',
    getHelp: 'Få hjelp',
    request: 'Øktforespørsel',
    accept: 'Godta økten',
    card: 'Lese en fil',
    deny: 'Avvis',
    size: /1,5\skB/,
  },
  {
    locale: 'en-US',
    lang: 'en',
    getHelp: 'Get help',
    request: 'Session request',
    accept: 'Accept session',
    card: 'Read a file',
    deny: 'Deny',
    size: /1\.5\skB/,
  },
] as const;

describe('languages', () => {
  it.each(CASES)('shows the app in $lang for the OS locale $locale', async (c) => {
    app = await DesktopApp.open(fixture, { locale: c.locale });
    const { page, harness, filesRoot } = app;
    await page.getByRole('heading', { name: c.getHelp }).waitFor();
    expect(
      await page.evaluate(
        () => (globalThis as unknown as PageGlobals).document.documentElement.lang,
      ),
    ).toBe(c.lang);
    await app.screenshot(`20-${c.lang}-get-help`);

    const engineer = await harness.connect(await app.getHelp(c.getHelp));
    await page.getByRole('heading', { name: c.request }).waitFor();
    await app.screenshot(`21-${c.lang}-session-request`);
    const approved = engineer.waitForApproval();
    await page.getByRole('button', { name: c.accept }).click();
    await approved;

    const file = join(filesRoot, 'rapport.txt');
    await writeFile(file, Buffer.alloc(1500, 65));
    const read = readFile(engineer.link, file);
    const card = page.locator('article.consent-card');
    await card.getByRole('heading', { name: c.card }).waitFor();
    await expect.poll(() => card.textContent()).toMatch(c.size);
    await app.screenshot(`22-${c.lang}-consent`);
    await card.getByRole('button', { name: c.deny, exact: true }).click();
    expect(await read.result).toEqual({ ok: false, code: 'CONSENT_DENIED' });
  });
});

interface PageGlobals {
  document: { documentElement: { lang: string } };
}
