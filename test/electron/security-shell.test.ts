// Static proof of the issue 6 security list: the Electron binary cannot run
// here, so these tests read the shell's settings and source.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_RESPONSE_HEADERS,
  APP_SCHEME_PRIVILEGES,
  CONTENT_SECURITY_POLICY,
  SECURE_WEB_PREFERENCES,
  isAllowedExternalUrl,
} from '../../main/electron/security-policy';

const root = join(import.meta.dirname, '..', '..');
const source = (path: string) => readFileSync(join(root, path), 'utf8');
const electronFiles = readdirSync(join(root, 'main/electron')).filter((f) => f.endsWith('.ts'));
// Code only: comments may name what the code refuses.
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
const allShellSource = electronFiles.map((f) => code(source(`main/electron/${f}`))).join('\n');
const directives = new Map(
  CONTENT_SECURITY_POLICY.split(';').map((part) => {
    const [name, ...values] = part.trim().split(/\s+/);
    return [name!, values] as const;
  }),
);

describe('BrowserWindow options', () => {
  it('isolate, sandbox and lock down the renderer', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('are the only window options, spread first, and only the preload is added', () => {
    expect(allShellSource.match(/new BrowserWindow\(/g)).toHaveLength(1);
    expect(source('main/electron/main-window.ts')).toMatch(
      /webPreferences: \{ \.\.\.SECURE_WEB_PREFERENCES, preload: options\.preloadPath \}/,
    );
    expect(allShellSource).not.toMatch(/nodeIntegration:\s*true|contextIsolation:\s*false/);
    expect(allShellSource).not.toMatch(/sandbox:\s*false|webSecurity:\s*false|webviewTag:\s*true/);
  });

  it('load the renderer from app://, never file://', () => {
    expect(APP_ENTRY_URL).toBe('app://renderer/index.html');
    expect(source('main/electron/main-window.ts')).toMatch(/loadURL\(APP_ENTRY_URL\)/);
    expect(allShellSource).not.toMatch(/loadFile\(|file:\/\//);
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false });
  });
});

describe('Content-Security-Policy', () => {
  it("is default-src 'none' with script-src 'self' only", () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
  });

  it('allows no unsafe-inline, unsafe-eval, wildcard or remote source', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:|wasm-unsafe|blob:/);
  });

  it('connects nowhere beyond the app', () => {
    expect(directives.get('connect-src')).toEqual(["'self'"]);
  });

  it('is sent with every app:// response and carried by the page itself', () => {
    expect(APP_RESPONSE_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(source('main/electron/app-protocol.ts')).toMatch(/\.\.\.APP_RESPONSE_HEADERS/);
    const html = source('renderer/index.html');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    // frame-ancestors is ignored in a meta tag; everything else must match.
    const withoutFrameAncestors = CONTENT_SECURITY_POLICY.replace(/; frame-ancestors 'none'/, '');
    expect(meta?.[1]).toBe(withoutFrameAncestors);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/style=/);
  });
});

describe('navigation, windows and permissions', () => {
  const guard = source('main/electron/navigation-guard.ts');
  it('deny every navigation, redirect, window.open and webview', () => {
    for (const event of [
      'will-navigate',
      'will-frame-navigate',
      'will-redirect',
      'will-attach-webview',
    ]) {
      expect(guard).toContain(`contents.on('${event}', (event) => event.preventDefault());`);
    }
    expect(guard).toContain("contents.setWindowOpenHandler(() => ({ action: 'deny' }));");
    expect(guard).toMatch(
      /app\.on\('web-contents-created', \(_event, contents\) => guardWebContents\(contents\)\)/,
    );
  });

  it('deny every permission request and check', () => {
    expect(guard).toContain(
      'setPermissionRequestHandler((_contents, _permission, callback) => callback(false))',
    );
    expect(guard).toContain('setPermissionCheckHandler(() => false)');
    expect(guard).toContain('setDevicePermissionHandler(() => false)');
  });

  it('open external links only through the https-only wrapper', () => {
    expect(allShellSource.match(/shell\.openExternal\(/g)).toHaveLength(1);
    expect(guard).toMatch(
      /if \(!isAllowedExternalUrl\(url\)\) return false;\s+await shell\.openExternal\(url\)/,
    );
    expect(isAllowedExternalUrl('https://assent.example/help')).toBe(true);
    for (const url of [
      'http://assent.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'ms-settings:',
      'https://user:pw@assent.example/',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});

describe('IPC and process', () => {
  it('registers every handler through the table, which checks the sender first', () => {
    const bridge = source('main/electron/ipc-bridge.ts');
    expect(bridge).toMatch(
      /ipcMain\.handle\(invokeChannelName\(channel\), \(event, payload: unknown\) =>\s+table\.invoke\(senderInfo\(event\), channel, payload\)/,
    );
    expect(bridge).toMatch(/isMainFrame: frame !== null && frame === event\.sender\.mainFrame/);
    expect(allShellSource.match(/ipcMain\.(handle|on|once|handleOnce)\(/g)).toEqual([
      'ipcMain.handle(',
    ]);
    const table = source('main/ipc/handler-table.ts');
    expect(table.indexOf('assertTrustedSender(sender, trusted)')).toBeLessThan(
      table.indexOf('.request.safeParse('),
    );
  });

  it('trusts only the main window, by id and app origin', () => {
    expect(source('main/electron/shell.ts')).toMatch(
      /table\.setTrustedWindow\(\{ webContentsId: win\.webContents\.id, origin: APP_ORIGIN \}\)/,
    );
  });

  it('holds the single-instance lock before anything else', () => {
    const shell = source('main/electron/shell.ts');
    expect(shell).toMatch(
      /if \(!app\.requestSingleInstanceLock\(\)\) \{\s+app\.quit\(\);\s+return;/,
    );
    expect(shell.indexOf('requestSingleInstanceLock')).toBeLessThan(
      shell.indexOf('registerAppScheme()'),
    );
  });

  it('the preload exposes the contract API and never ipcRenderer', () => {
    const preload = source('preload/index.ts');
    expect(preload.match(/contextBridge\.exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toContain('contextBridge.exposeInMainWorld(API_GLOBAL, api);');
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
    expect(preload).not.toMatch(/ipcRenderer\.(send|sendSync|postMessage)\(/);
  });
});
