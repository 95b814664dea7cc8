import { describe, expect, it } from 'vitest';
import { isAssentError } from '../../protocol/errors';
import { AUTH_MAX_SKEW_MS } from '../../protocol/limits';
import { AUTH_HEADERS, RELAY_PATHS } from '../../protocol/wire/relay';
import { issueCertificate } from '../../platform/credentials';
import { buildAuthHeaders, verifyAuthHeaders } from '../../platform/relay-auth';
import { generateSigningKeyPair } from '../../platform/signing';

const code = '0123456789';
const token = 'A'.repeat(43);

function engineer() {
  const vendor = generateSigningKeyPair();
  const key = generateSigningKeyPair();
  const certificate = issueCertificate(vendor.privateKey, {
    vendor: 'V',
    name: 'Erin',
    email: 'erin@v.example',
    roles: ['engineer'],
    publicKey: key.publicKey,
    days: 1,
  });
  return { key, certificate };
}

function refusedCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isAssentError(err) ? err.code : `not an AssentError: ${String(err)}`;
  }
  return undefined;
}

describe('relay auth headers', () => {
  it('an agent proves its device key; the proof verifies once built', () => {
    const key = generateSigningKeyPair();
    const now = Date.now();
    const headers = buildAuthHeaders({
      role: 'agent',
      path: RELAY_PATHS.agent,
      signingKey: key,
      target: '',
      now,
    });
    expect(headers[AUTH_HEADERS.deviceKey]).toBe(key.publicKey);
    expect(headers[AUTH_HEADERS.certificate]).toBeUndefined();
    expect(headers[AUTH_HEADERS.nonce]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const proof = verifyAuthHeaders(headers, {
      role: 'agent',
      path: RELAY_PATHS.agent,
      now,
      target: '',
    });
    expect(proof.key).toBe(key.publicKey);
    expect(proof.certificate).toBeUndefined();
  });

  it('an engineer presents its certificate and the code travels in its own header', () => {
    const { key, certificate } = engineer();
    const headers = buildAuthHeaders({
      role: 'engineer',
      path: RELAY_PATHS.engineer,
      signingKey: key,
      certificate,
      target: code,
    });
    expect(headers[AUTH_HEADERS.sessionCode]).toBe(code);
    const proof = verifyAuthHeaders(headers, {
      role: 'engineer',
      path: RELAY_PATHS.engineer,
      now: Date.now(),
      target: code,
    });
    expect(proof.key).toBe(key.publicKey);
    expect(proof.certificate).toEqual(certificate);
  });

  it('a resume token goes in x-assent-resume', () => {
    const key = generateSigningKeyPair();
    const headers = buildAuthHeaders({
      role: 'agent',
      path: RELAY_PATHS.agent,
      signingKey: key,
      target: token,
    });
    expect(headers[AUTH_HEADERS.resume]).toBe(token);
  });

  it('refuses a proof moved to another target, path, role or time', () => {
    const key = generateSigningKeyPair();
    const { key: engKey, certificate } = engineer();
    const now = Date.now();
    const agent = buildAuthHeaders({
      role: 'agent',
      path: RELAY_PATHS.agent,
      signingKey: key,
      target: '',
      now,
    });
    const eng = buildAuthHeaders({
      role: 'engineer',
      path: RELAY_PATHS.engineer,
      signingKey: engKey,
      certificate,
      target: code,
      now,
    });
    const expectCode = (fn: () => unknown) => expect(refusedCode(fn)).toBe('RELAY_UNAUTHENTICATED');
    expectCode(() =>
      verifyAuthHeaders(agent, { role: 'agent', path: RELAY_PATHS.agent, now, target: token }),
    );
    expectCode(() =>
      verifyAuthHeaders(agent, { role: 'agent', path: '/v2/agent', now, target: '' }),
    );
    expectCode(() =>
      verifyAuthHeaders(agent, { role: 'engineer', path: RELAY_PATHS.agent, now, target: '' }),
    );
    expectCode(() =>
      verifyAuthHeaders(eng, {
        role: 'engineer',
        path: RELAY_PATHS.engineer,
        now,
        target: '9999999999',
      }),
    );
    expectCode(() =>
      verifyAuthHeaders(
        { ...agent, [AUTH_HEADERS.time]: String(now + 1) },
        { role: 'agent', path: RELAY_PATHS.agent, now, target: '' },
      ),
    );
    expectCode(() =>
      verifyAuthHeaders(
        { ...agent, [AUTH_HEADERS.deviceKey]: generateSigningKeyPair().publicKey },
        { role: 'agent', path: RELAY_PATHS.agent, now, target: '' },
      ),
    );
  });

  it('refuses proofs outside the allowed clock skew, both ways', () => {
    const key = generateSigningKeyPair();
    const now = 1_800_000_000_000;
    for (const skew of [AUTH_MAX_SKEW_MS + 1, -AUTH_MAX_SKEW_MS - 1]) {
      const headers = buildAuthHeaders({
        role: 'agent',
        path: RELAY_PATHS.agent,
        signingKey: key,
        target: '',
        now: now + skew,
      });
      expect(
        refusedCode(() =>
          verifyAuthHeaders(headers, { role: 'agent', path: RELAY_PATHS.agent, now, target: '' }),
        ),
      ).toBe('RELAY_UNAUTHENTICATED');
    }
    const inside = buildAuthHeaders({
      role: 'agent',
      path: RELAY_PATHS.agent,
      signingKey: key,
      target: '',
      now: now - AUTH_MAX_SKEW_MS + 1000,
    });
    expect(
      verifyAuthHeaders(inside, { role: 'agent', path: RELAY_PATHS.agent, now, target: '' }).key,
    ).toBe(key.publicKey);
  });

  it('refuses missing or malformed headers with RELAY_UNAUTHENTICATED', () => {
    const key = generateSigningKeyPair();
    const now = Date.now();
    const good = buildAuthHeaders({
      role: 'agent',
      path: RELAY_PATHS.agent,
      signingKey: key,
      target: '',
      now,
    });
    for (const name of [
      AUTH_HEADERS.deviceKey,
      AUTH_HEADERS.time,
      AUTH_HEADERS.nonce,
      AUTH_HEADERS.signature,
    ]) {
      const headers: Record<string, string | undefined> = { ...good, [name]: undefined };
      expect(
        refusedCode(() =>
          verifyAuthHeaders(headers, { role: 'agent', path: RELAY_PATHS.agent, now, target: '' }),
        ),
      ).toBe('RELAY_UNAUTHENTICATED');
    }
    const badCert = { ...good, [AUTH_HEADERS.certificate]: 'bm90IGpzb24' };
    expect(
      refusedCode(() =>
        verifyAuthHeaders(badCert, {
          role: 'engineer',
          path: RELAY_PATHS.engineer,
          now,
          target: code,
        }),
      ),
    ).toBe('RELAY_UNAUTHENTICATED');
  });

  it('misuse by the caller throws TypeError at once', () => {
    const key = generateSigningKeyPair();
    const { certificate } = engineer();
    expect(() =>
      buildAuthHeaders({
        role: 'engineer',
        path: RELAY_PATHS.engineer,
        signingKey: key,
        target: code,
      }),
    ).toThrow(TypeError);
    expect(() =>
      buildAuthHeaders({
        role: 'engineer',
        path: RELAY_PATHS.engineer,
        signingKey: key,
        certificate,
        target: code,
      }),
    ).toThrow(TypeError);
    expect(() =>
      buildAuthHeaders({
        role: 'agent',
        path: RELAY_PATHS.agent,
        signingKey: key,
        target: 'nonsense',
      }),
    ).toThrow(TypeError);
  });
});
