import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentEngine, type ConsentPrompt } from '../../../main/consent/consent-engine';
import { Grant, assertGrantFor } from '../../../main/consent/grant';
import { effective, fileAction, nextEvent, tempAudit } from './fixtures';

describe('Grant', () => {
  let audit: Awaited<ReturnType<typeof tempAudit>>;
  beforeEach(async () => {
    audit = await tempAudit();
  });
  afterEach(async () => audit.cleanup());

  async function genuine(
    action = fileAction('file.read', '/srv/app/config/x.conf'),
  ): Promise<{ engine: ConsentEngine; grant: Grant }> {
    const engine = new ConsentEngine({ sessionId: 's-1', rules: effective(), audit: audit.log });
    const prompted = nextEvent<ConsentPrompt>(engine, 'prompt');
    const pending = engine.request(action, { requestId: 'r1' });
    engine.decide((await prompted).id, { how: 'allow-once' }, { approver: 'alice' });
    return { engine, grant: await pending };
  }

  it('cannot be constructed outside the consent engine', () => {
    const signal = new AbortController().signal;
    const init = {
      id: 'x',
      digest: 'd',
      kind: 'file.read' as const,
      basis: { source: 'approver' as const },
    };
    expect(() => new Grant(Symbol('assent.grant.mint'), init, signal)).toThrow(TypeError);
    expect(() => {
      class Forged extends Grant {
        constructor() {
          super(Symbol.for('assent.grant.mint'), init, signal);
        }
      }
      return new Forged();
    }).toThrow(TypeError);
  });

  it('refuses forged look-alikes, even with the right digest and prototype', async () => {
    const action = fileAction('file.read', '/srv/app/config/x.conf');
    const { grant } = await genuine(action);
    const copy = { ...grant };
    const withPrototype = Object.assign(Object.create(Grant.prototype) as object, grant);
    for (const forged of [copy, withPrototype, null, undefined, 'grant'])
      expect(() => assertGrantFor(forged, action)).toThrow(
        expect.objectContaining({ code: 'GRANT_INVALID' }),
      );
    expect(() => assertGrantFor(grant, action)).not.toThrow();
  });

  it('a grant to read X is not a grant to write X, nor to read Y', async () => {
    const read = fileAction('file.read', '/srv/app/config/x.conf');
    const { grant } = await genuine(read);
    const write = fileAction('file.write', '/srv/app/config/x.conf', {
      contentHash: 'a'.repeat(64),
    });
    const other = fileAction('file.read', '/srv/app/config/y.conf');
    expect(() => assertGrantFor(grant, write)).toThrow(
      expect.objectContaining({ code: 'GRANT_INVALID' }),
    );
    expect(() => assertGrantFor(grant, other)).toThrow(
      expect.objectContaining({ code: 'GRANT_INVALID' }),
    );
  });

  it('is frozen: its digest cannot be rebound', async () => {
    const { grant } = await genuine();
    expect(() => {
      (grant as { digest: string }).digest = 'b'.repeat(64);
    }).toThrow(TypeError);
  });

  it('a revoked grant (request cancelled while it runs) is refused with GRANT_REVOKED', async () => {
    const action = fileAction('file.read', '/srv/app/config/x.conf');
    const { engine, grant } = await genuine(action);
    engine.cancel('r1');
    expect(grant.signal.aborted).toBe(true);
    expect(() => assertGrantFor(grant, action)).toThrow(
      expect.objectContaining({ code: 'GRANT_REVOKED' }),
    );
  });
});
