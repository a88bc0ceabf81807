import { SignJWT } from 'jose';
import {
  InvalidTokenError,
  JwtVerifier,
  signAuditToken,
  VERIFIED_TOKEN_CACHE_SIZE,
  VERIFIED_TOKEN_MAX_AGE_MS,
} from './jwt';

const SECRET = 'jwt-spec-secret-0123456789abcdef';
const T0 = Date.UTC(2026, 0, 1, 12);

/** A verifier on a clock the test moves, counting the full checks it makes. */
function verifierAt(start = T0, clockToleranceSec = 5) {
  const clock = { now: start };
  const verifier = new JwtVerifier({ secret: SECRET, clockToleranceSec }, () => clock.now);
  const checks = jest.spyOn(verifier as unknown as { check: () => unknown }, 'check');
  return { clock, verifier, checks };
}

const tokenFor = (orgs: Record<string, string[]>, ttl = 60, sub = 'u-1') =>
  signAuditToken({ sub, orgs }, SECRET, ttl, new Date(T0));

describe('JwtVerifier: verified tokens are remembered', () => {
  it('checks a token once, then answers from memory with the same principal', async () => {
    const { verifier, checks } = verifierAt();
    const token = await tokenFor({ acme: ['org-admin'] });
    const first = await verifier.verifyToken(token);
    const second = await verifier.verifyToken(token);
    expect(second).toEqual(first);
    expect(second.principal.orgs).toEqual({ acme: ['org-admin'] });
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it('hands out a copy: changing one principal does not change the next', async () => {
    const { verifier } = verifierAt();
    const token = await tokenFor({ acme: ['org-admin'] });
    const a = await verifier.verify(token);
    a.orgs.acme.push('owner');
    a.orgs.globex = ['org-admin'];
    a.scopes.push('events:write');
    const b = await verifier.verify(token);
    expect(b.orgs).toEqual({ acme: ['org-admin'] });
    expect(b.scopes).toEqual([]);
  });

  it('refuses a remembered token once it expires (exp plus the clock tolerance)', async () => {
    const { clock, verifier } = verifierAt(T0, 5);
    const token = await tokenFor({ acme: ['org-admin'] }, 60);
    await verifier.verifyToken(token);
    clock.now = T0 + 64_999;
    await expect(verifier.verifyToken(token)).resolves.toBeDefined();
    clock.now = T0 + 65_000;
    await expect(verifier.verifyToken(token)).rejects.toThrow(
      new InvalidTokenError('The token has expired'),
    );
    // Still refused: an expired token is not remembered again.
    await expect(verifier.verifyToken(token)).rejects.toThrow('The token has expired');
  });

  it('checks a long-lived token again after the maximum age', async () => {
    const { clock, verifier, checks } = verifierAt();
    const token = await tokenFor({ acme: ['org-admin'] }, 24 * 3600);
    await verifier.verifyToken(token);
    clock.now = T0 + VERIFIED_TOKEN_MAX_AGE_MS - 1;
    await verifier.verifyToken(token);
    expect(checks).toHaveBeenCalledTimes(1);
    clock.now = T0 + VERIFIED_TOKEN_MAX_AGE_MS;
    await verifier.verifyToken(token);
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it('never remembers a refused token', async () => {
    const { verifier, checks } = verifierAt();
    const forged = await signAuditToken({ sub: 'u-1', orgs: {} }, 'another-secret', 60);
    for (let i = 0; i < 3; i++) {
      await expect(verifier.verifyToken(forged)).rejects.toThrow('The token is not valid');
    }
    expect(checks).toHaveBeenCalledTimes(3);
    // A token that is not valid yet is checked again (and accepted) once it is.
    const early = await new SignJWT({ orgs: {} })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-1')
      .setNotBefore(Math.floor(T0 / 1000) + 30)
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(new TextEncoder().encode(SECRET));
    const v = verifierAt();
    await expect(v.verifier.verifyToken(early)).rejects.toThrow('The token is not valid');
    v.clock.now = T0 + 30_000;
    await expect(v.verifier.verifyToken(early)).resolves.toBeDefined();
  });

  it('tells tokens apart, and keeps at most VERIFIED_TOKEN_CACHE_SIZE of them', async () => {
    const { verifier, checks } = verifierAt();
    const a = await tokenFor({ acme: ['org-admin'] }, 60, 'u-a');
    const b = await tokenFor({ globex: ['org-admin'] }, 60, 'u-b');
    expect((await verifier.verify(a)).sub).toBe('u-a');
    expect((await verifier.verify(b)).sub).toBe('u-b');
    expect((await verifier.verify(a)).orgs).toEqual({ acme: ['org-admin'] });
    expect(checks).toHaveBeenCalledTimes(2);
    const cache = (verifier as unknown as { verified: Map<string, unknown> }).verified;
    for (let i = 0; i < VERIFIED_TOKEN_CACHE_SIZE + 10; i++) {
      await verifier.verify(await tokenFor({}, 60, `u-${i}`));
    }
    expect(cache.size).toBe(VERIFIED_TOKEN_CACHE_SIZE);
  });
});
