// The desktop app end to end, without Electron: a real relay, a real agent
// core with countersigned ground rules, real engineers, and the built
// renderer in Debian's Chromium, talking to the core through the same IPC
// handler table that Electron registers (exposed to the page as a binding).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { appContentType, resolveAppPath } from '../../../main/electron/app-path';
import { APP_RESPONSE_HEADERS } from '../../../main/electron/security-policy';
import { createDesktopCoreForAgent } from '../../../main/ipc/agent-desktop';
import type { DesktopCore } from '../../../main/ipc/desktop-core';
import { createIpcHandlerTable, type IpcHandlerTable } from '../../../main/ipc/handler-table';
import type { GroundRules } from '../../../protocol/ground-rules';
import type { EngineerSession } from '../../../console/engineer-session';
import { SessionHarness } from '../../support/session-harness';
import { buildRendererForTest } from './build-renderer';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const SCREENSHOTS = join(import.meta.dirname, '..', 'screenshots');

/** Built renderer and a browser, shared by the tests of one file. */
export class DesktopFixture {
  private constructor(
    readonly dir: string,
    readonly rendererRoot: string,
    readonly bridge: string,
    readonly browser: Browser,
  ) {}

  static async start(): Promise<DesktopFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'assent-e2e-'));
    const { rendererRoot, bridge } = await buildRendererForTest(dir);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
    return new DesktopFixture(dir, rendererRoot, bridge, browser);
  }

  async close(): Promise<void> {
    await this.browser.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface DesktopOptions {
  readonly locale?: string;
  readonly rules?: Partial<GroundRules>;
}

/** One agent with its window open. */
export class DesktopApp {
  private readonly stops: Array<() => Promise<void> | void> = [];

  private constructor(
    readonly harness: SessionHarness,
    readonly core: DesktopCore,
    readonly table: IpcHandlerTable,
    readonly context: BrowserContext,
    readonly page: Page,
    /** The folder the ground rules let the engineer read and write. */
    readonly filesRoot: string,
  ) {}

  static async open(fixture: DesktopFixture, options: DesktopOptions = {}): Promise<DesktopApp> {
    const policyDir = mkdtempSync(join(tmpdir(), 'assent-e2e-policy-'));
    const harness = await SessionHarness.start({
      agent: { policyPath: join(policyDir, 'no-policy.json') },
      rules: { title: 'Acme support for Example Corp', terminal: 'off', ...options.rules },
    });
    rmSync(policyDir, { recursive: true, force: true });
    const filesRoot = harness.customerDir;
    const locale = options.locale ?? 'en-GB';
    const core = createDesktopCoreForAgent(harness.agent, { osLocale: locale });
    const server = await serve(fixture.rendererRoot);
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const table = createIpcHandlerTable(core, {
      trustedWindow: { webContentsId: 1, origin },
      onInternalError: (err, channel) => console.error(`IPC ${channel}`, err),
    });
    const context = await fixture.browser.newContext({
      locale,
      viewport: { width: 1100, height: 900 },
    });
    const page = await context.newPage();
    await page.exposeBinding('__assentInvoke', (source, channel: string, payload: unknown) =>
      table.invoke(
        {
          webContentsId: source.page === page ? 1 : 2,
          frameUrl: source.frame.url(),
          isMainFrame: source.frame === page.mainFrame(),
        },
        channel,
        payload,
      ),
    );
    await page.addInitScript({ content: readFileSync(fixture.bridge, 'utf8') });
    const app = new DesktopApp(harness, core, table, context, page, filesRoot);
    const stopEvents = table.forwardEvents((event, payload) => {
      page
        .evaluate(
          ([e, p]) =>
            (
              globalThis as unknown as { __assentEmit?: (e: string, p: unknown) => void }
            ).__assentEmit?.(e, p),
          [event, payload] as const,
        )
        .catch(() => undefined);
    });
    app.stops.push(
      stopEvents,
      () => context.close(),
      () => closeServer(server),
      () => harness.close(),
    );
    await page.goto(`${origin}/index.html`);
    await page.getByRole('heading', { level: 1, name: 'Assent' }).waitFor();
    return app;
  }

  /** Starts a session from "Get help" (button name in the UI language) and returns the code shown. */
  async getHelp(buttonName = 'Get help'): Promise<string> {
    await this.page.getByRole('button', { name: buttonName }).click();
    const code = this.page.getByTestId('session-code');
    await code.waitFor();
    return (await code.textContent())!.replace(/\s/g, '');
  }

  /** Gets help, connects an engineer, accepts in the window; resolves with the engineer's session. */
  async acceptedEngineer(): Promise<EngineerSession> {
    const engineer = await this.harness.connect(await this.getHelp());
    const approved = engineer.waitForApproval();
    await this.page.getByRole('button', { name: 'Accept session' }).click();
    await approved;
    return engineer;
  }

  /** Saves a full-page screenshot under test/e2e/screenshots/. */
  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    for (const stop of this.stops) {
      try {
        await stop();
      } catch {
        // Best effort; the rest still closes.
      }
    }
  }
}

function serve(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    let file: string;
    try {
      file = resolveAppPath(root, `app://renderer${request.url ?? '/'}`);
      const body = readFileSync(file);
      response.writeHead(200, { ...APP_RESPONSE_HEADERS, 'Content-Type': appContentType(file) });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
