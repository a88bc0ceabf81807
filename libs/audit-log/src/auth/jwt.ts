import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AuditPrincipal } from './audit-principal.interface';
import { nonBlankRoles } from './claims';

/** How bearer tokens are checked. */
export interface JwtAuthOptions {
  /** HS256 shared secret (`AUDITKIT_JWT_SECRET`). */
  secret?: string;
  /** A JWKS URL for asymmetric tokens (RS256, ES256, EdDSA). */
  jwksUrl?: string;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud`, when set. */
  audience?: string;
  /** Clock skew allowed on `exp` / `nbf`. @default 5 */
  clockToleranceSec?: number;
}

/** Why a token was refused; the message is safe to return to the client. */
export class InvalidTokenError extends Error {}

/** What an org id looks like (the keys of the `orgs` claim, a viewer token's `org`). */
export const ORG_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A verified token: who it names, and until when it is valid. */
export interface VerifiedToken {
  principal: AuditPrincipal;
  /** The `exp` claim in epoch milliseconds. */
  expiresAt: number;
}

/**
 * How many verified tokens a verifier remembers. A client sends the same token with every
 * request, and checking its signature and claims again is most of what authentication costs.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 1000;
/**
 * How long a verified token is taken as verified without a new check, at most (it never
 * outlives its `exp`). Bearer tokens cannot be revoked, so only a signing key removed from the
 * JWKS could refuse a token before its `exp`; jose keeps a fetched JWKS for up to 10 minutes,
 * so a minute adds nothing to that.
 */
export const VERIFIED_TOKEN_MAX_AGE_MS = 60_000;

interface CachedToken extends VerifiedToken {
  /** Epoch ms from which the token must be verified again (its `exp` plus the tolerance). */
  until: number;
}

/**
 * Verifies bearer tokens into principals. `alg: none` and unlisted algorithms are refused.
 * Tokens that passed are remembered (by their SHA-256, never as text) until they expire or for
 * `VERIFIED_TOKEN_MAX_AGE_MS`, whichever comes first; a refused token is never remembered.
 */
export class JwtVerifier {
  private readonly secret?: Uint8Array;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;
  // Insertion order is recency order: a hit is moved to the end, the first entry is evicted.
  private readonly verified = new Map<string, CachedToken>();

  /**
   * @param now the clock `exp` and `nbf` are checked against (epoch ms); tests pass their own.
   */
  constructor(
    private readonly options: JwtAuthOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!options.secret && !options.jwksUrl)
      throw new Error('JWT auth needs a secret or a JWKS URL');
    if (options.secret) this.secret = new TextEncoder().encode(options.secret);
    if (options.jwksUrl) this.jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  }

  async verify(token: string): Promise<AuditPrincipal> {
    return (await this.verifyToken(token)).principal;
  }

  /**
   * Verifies a token into its principal and its expiry (`exp`, in epoch milliseconds; may lie
   * far beyond any date a cookie can hold, so callers cap it).
   */
  async verifyToken(token: string): Promise<VerifiedToken> {
    if (token.length > 8192) throw new InvalidTokenError('The token is too long');
    const now = this.now();
    const key = createHash('sha256').update(token).digest('base64');
    const hit = this.verified.get(key);
    if (hit) {
      this.verified.delete(key);
      if (now < hit.until) {
        this.verified.set(key, hit);
        // A copy each time: a host may change the principal it finds on its request.
        return { principal: copyPrincipal(hit.principal), expiresAt: hit.expiresAt };
      }
      // Expired (or old enough to check again): verified anew, refused with jose's reason.
    }
    const verified = await this.check(token, now);
    const tolerance = (this.options.clockToleranceSec ?? 5) * 1000;
    this.verified.set(key, {
      principal: copyPrincipal(verified.principal),
      expiresAt: verified.expiresAt,
      // jose refuses once exp <= now - tolerance (in whole seconds): the same instant as this.
      until: Math.min(verified.expiresAt + tolerance, now + VERIFIED_TOKEN_MAX_AGE_MS),
    });
    if (this.verified.size > VERIFIED_TOKEN_CACHE_SIZE) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    return verified;
  }

  /** The full check of a token's signature and claims, at `now` (epoch ms). */
  private async check(token: string, now: number): Promise<VerifiedToken> {
    const common = {
      issuer: this.options.issuer,
      audience: this.options.audience,
      clockTolerance: this.options.clockToleranceSec ?? 5,
      requiredClaims: ['sub', 'exp'],
      currentDate: new Date(now),
    };
    let payload: JWTPayload;
    try {
      // The header picks the key: a shared secret for HS256, the JWKS for the rest. A token
      // naming HS256 never meets a public key, so no key can be used as the wrong kind.
      const hs = decodeProtectedHeader(token).alg === 'HS256';
      if (hs && this.secret) {
        payload = (await jwtVerify(token, this.secret, { ...common, algorithms: ['HS256'] }))
          .payload;
      } else if (!hs && this.jwks) {
        payload = (
          await jwtVerify(token, this.jwks, {
            ...common,
            algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
          })
        ).payload;
      } else {
        throw new InvalidTokenError(
          'The token is signed with an algorithm this server does not accept',
        );
      }
    } catch (err) {
      if (err instanceof InvalidTokenError) throw err;
      const code = (err as { code?: string }).code;
      throw new InvalidTokenError(
        code === 'ERR_JWT_EXPIRED' ? 'The token has expired' : 'The token is not valid',
      );
    }
    return { principal: principalFromClaims(payload), expiresAt: Number(payload.exp) * 1000 };
  }
}

function copyPrincipal(p: AuditPrincipal): AuditPrincipal {
  const orgs: Record<string, string[]> = {};
  for (const org of Object.keys(p.orgs)) orgs[org] = [...p.orgs[org]];
  return { ...p, orgs, scopes: [...p.scopes] };
}

/**
 * Checks the shape of the claims of docs/api.md section 3. Blank roles are dropped. `name` and
 * `email` are kept as given: they do not grant anything, and the token stays valid for reading
 * when they are malformed; what uses them checks them (an export is refused unless
 * `isValidEmailClaim` / `isValidNameClaim` accept them).
 */
export function principalFromClaims(claims: Record<string, unknown>): AuditPrincipal {
  const { sub, name, email, orgs, scope } = claims;
  if (typeof sub !== 'string' || !sub) throw new InvalidTokenError('The token has no subject');
  const roles: Record<string, string[]> = {};
  if (orgs !== undefined) {
    if (!orgs || typeof orgs !== 'object' || Array.isArray(orgs)) {
      throw new InvalidTokenError('The token\'s "orgs" claim must map org ids to role lists');
    }
    for (const [org, list] of Object.entries(orgs)) {
      if (!ORG_KEY.test(org) || !Array.isArray(list) || !list.every((r) => typeof r === 'string')) {
        throw new InvalidTokenError('The token\'s "orgs" claim must map org ids to role lists');
      }
      // A blank string is no role: `{ "acme": [""] }` grants nothing in acme.
      roles[org] = nonBlankRoles(list);
    }
  }
  return {
    sub,
    name: typeof name === 'string' ? name : undefined,
    email: typeof email === 'string' ? email : undefined,
    orgs: roles,
    scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
  };
}

/** What `signAuditToken` puts in a token. */
export interface AuditTokenClaims {
  sub: string;
  name?: string;
  email?: string;
  orgs: Record<string, string[]>;
  scope?: string;
}

/** Signs an HS256 token (for the CLI's `token` command, tests and scripts). */
export async function signAuditToken(
  claims: AuditTokenClaims,
  secret: string,
  ttlSeconds: number,
  now: Date = new Date(),
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const payload: Record<string, unknown> = { orgs: claims.orgs };
  if (claims.name) payload.name = claims.name;
  if (claims.email) payload.email = claims.email;
  if (claims.scope) payload.scope = claims.scope;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
