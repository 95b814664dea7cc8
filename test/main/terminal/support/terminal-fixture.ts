// Test material for the terminal domain: a real consent engine, effective
// rules and audit log in temp dirs, and an in-process PeerLink that keeps
// what the agent sends (with a consumer whose speed the test sets).
import { mkdtempSync, realpathSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroundRules } from '../../../../protocol/ground-rules';
import type { ChannelMessage } from '../../../../protocol/wire/messages';
import { AuditLog } from '../../../../main/audit/audit-log';
import { ConsentEngine, type ConsentPrompt } from '../../../../main/consent/consent-engine';
import { EffectiveRules } from '../../../../main/rules/effective-rules';
import { MemoryLink } from '../../../support/memory-link';
import type { ActionHandler } from '../../../../main/actions/action-router';
import { registerTerminalActions } from '../../../../main/terminal/terminal-actions';
import type { SessionTerminals } from '../../../../main/terminal/session-terminals';
import type { ActionKind } from '../../../../protocol/consent';

/** The router's order of work, run against the real consent engine. */
export class TerminalFixture {
  readonly dir = realpathSync(mkdtempSync(join(tmpdir(), 'assent-term-')));
  readonly root = join(this.dir, 'root');
  readonly dataDir = join(this.dir, 'data');
  readonly link = new MemoryLink({
    sessionId: 'sess-terminal-test',
    engineer: { email: 'eve@vendor.example', publicKey: 'k', fingerprint: 'f', serial: '1' },
  });
  readonly handlers = new Map<ActionKind, ActionHandler<unknown>>();
  terminals!: SessionTerminals;
  engine!: ConsentEngine;
  audit!: AuditLog;
  rules!: EffectiveRules;
  private seq = 0;

  static async create(
    overrides: Partial<Record<keyof GroundRules, unknown>> = {},
    options: { interactiveWindowMs?: number; dataDir?: string; rootIsTempDir?: boolean } = {},
  ): Promise<TerminalFixture> {
    const f = new TerminalFixture();
    mkdirSync(f.root);
    const dataDir = options.dataDir ?? f.dataDir;
    f.rules = new EffectiveRules(
      GroundRules.parse({
        kind: 'assent-ground-rules',
        v: 1,
        title: 'Terminal tests',
        vendor: 'Acme',
        customer: 'Example Corp',
        revision: 1,
        readableRoots: [options.rootIsTempDir ? f.dir : f.root],
        writableRoots: [],
        deniedGlobs: [],
        maxReadBytes: 1024,
        maxWriteBytes: 1024,
        terminal: 'interactive',
        fixSigners: [],
        sessionMaxMinutes: 120,
        standingConsents: [],
        consentTimeoutSeconds: 120,
        recordSessions: true,
        ...overrides,
      }),
      null,
    );
    f.audit = await AuditLog.open(f.dataDir, { durable: false });
    f.engine = new ConsentEngine({ sessionId: f.link.sessionId, rules: f.rules, audit: f.audit });
    f.terminals = registerTerminalActions(
      {
        register: (kind, handler) => f.handlers.set(kind, handler as ActionHandler<unknown>),
      },
      {
        dataDir,
        rules: f.rules,
        audit: f.audit,
        link: f.link,
        ...(options.interactiveWindowMs === undefined
          ? {}
          : { interactiveWindowMs: options.interactiveWindowMs }),
      },
    );
    return f;
  }

  /** describe -> consent -> execute, as the action router does. */
  async request(kind: ActionKind, params: Record<string, unknown>, requestId = `r${++this.seq}`) {
    const handler = this.handlers.get(kind)!;
    const parsed = handler.params.parse(params);
    const action = await handler.describe(parsed, { link: this.link, requestId });
    const grant = await this.engine.request(action, { requestId });
    try {
      return await handler.execute(grant, parsed, {
        link: this.link,
        requestId,
        signal: grant.signal,
        progress: () => undefined,
        action,
      });
    } finally {
      this.engine.finish(requestId);
    }
  }

  /** Resolves with the next prompt the approver sees. */
  nextPrompt() {
    return new Promise<ConsentPrompt>((r) => this.engine.once('prompt', r));
  }

  /** Approves every prompt once, as `how`. */
  approveAll(): void {
    this.engine.on('prompt', (p: { id: string }) =>
      this.engine.decide(p.id, { how: 'allow-once' }, { approver: 'alice' }),
    );
  }

  opened(requestId: string) {
    return this.link.sent.find((m) => m.type === 'terminal.opened' && m.requestId === requestId) as
      Extract<ChannelMessage, { type: 'terminal.opened' }> | undefined;
  }

  async close(): Promise<void> {
    this.link.controller.abort();
    await this.terminals.closeAll('session-ended');
    this.engine.close('test over');
    await this.audit.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
