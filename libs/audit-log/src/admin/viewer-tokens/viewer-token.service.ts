import { Inject, Injectable } from '@nestjs/common';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { AuditPrincipal, AuditViewerNarrowing } from '../../auth/audit-principal.interface';
import { isValidEmailClaim, isValidNameClaim } from '../../auth/claims';
import { ORG_KEY } from '../../auth/jwt';
import { ActionCatalog } from '../../catalog/action-catalog';
import { ulid } from '../../common/ulid';
import { MAX_FILTER_VALUES } from '../../query/event-filters';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from '../audit-admin.module-definition';
import { parseViewerClaims, VIEWER_TOKEN_PREFIX, VIEWER_TOKEN_TYP } from './viewer-token-claims';

/** What `ViewerTokenService.mint` makes a token for. */
export interface MintViewerTokenOptions {
  /** The one org the token reads. */
  orgId: string;
  /** Its life in seconds. @default 900 (at most `viewerTokens.maxTtlSeconds`, default 86400) */
  ttlSeconds?: number;
  /** The host's user it is for, shown by the viewer; grants nothing. */
  subject?: string;
  /** Only these actions (ids of the action catalog); at most 50. */
  actions?: string[];
  /** Only events of these actor ids; at most 50. */
  actors?: string[];
  /** Only events concerning these products; at most 50. */
  products?: string[];
  /** Only events at or after this time. */
  from?: Date | string;
  /**
   * Allows exports (CSV of what the token sees), mailed to this address. Without it the token
   * cannot export.
   */
  exportEmail?: string;
}

/** A minted viewer token. */
export interface MintedViewerToken {
  /** `avt_` and a signed JWT: give it to the viewer, as `Authorization: Bearer <token>`. */
  token: string;
  /** The token's id (`jti`). */
  id: string;
  expiresAt: Date;
  orgId: string;
  narrowing: AuditViewerNarrowing;
  exportEmail?: string;
}

/** Why `mint` refused its input; `field` names the option. */
export class ViewerTokenInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
  }
}

/** Why a credential that looks like a viewer token was refused (the 401's words). */
export class ViewerTokenRefused extends Error {}

const LIMITS = { actions: 128, actors: 255, products: 64 } as const;
// One line of visible text: no control characters.
const ONE_LINE = /^[^\p{Cc}\u2028\u2029]+$/u;

/**
 * Viewer tokens (docs/viewer.md): short-lived, read-only credentials for one org, optionally
 * narrowed to some actions, actors, products or a start time, that a host mints for its own
 * users and hands to the embedded viewer. They are stateless (nothing is stored), so they
 * cannot be revoked: only their expiry ends them, which is why their life is short and bounded.
 */
@Injectable()
export class ViewerTokenService {
  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
    private readonly catalog: ActionCatalog,
  ) {}

  /** Whether a secret is configured to sign viewer tokens with. */
  get enabled(): boolean {
    return this.options.viewerTokens.key !== undefined;
  }

  /**
   * Mints a viewer token. Throws `ViewerTokenInputError` for bad input (an unknown action, a
   * list over 50 values, a life over the maximum...) and an Error when no secret is configured.
   */
  async mint(input: MintViewerTokenOptions): Promise<MintedViewerToken> {
    const key = this.options.viewerTokens.key;
    if (!key)
      throw new Error(
        'AuditAdminModule: viewer tokens need a secret (viewerTokens.secret, secret or jwt.secret)',
      );
    const checked = this.check(input);
    const now = this.options.clock.now().getTime();
    const iat = Math.floor(now / 1000);
    const exp = iat + checked.ttl;
    const id = ulid(now);
    const payload: Record<string, unknown> = { org: input.orgId };
    if (Object.keys(checked.narrowing).length) payload.narrowing = checked.narrowing;
    if (input.exportEmail !== undefined) payload.export = { email: input.exportEmail };
    const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: VIEWER_TOKEN_TYP });
    if (input.subject !== undefined) jwt.setSubject(input.subject);
    const signed = await jwt.setIssuedAt(iat).setExpirationTime(exp).setJti(id).sign(key);
    return {
      token: `${VIEWER_TOKEN_PREFIX}${signed}`,
      id,
      expiresAt: new Date(exp * 1000),
      orgId: input.orgId,
      narrowing: checked.narrowing,
      ...(input.exportEmail !== undefined ? { exportEmail: input.exportEmail } : {}),
    };
  }

  /**
   * The principal of a viewer token, or `ViewerTokenRefused`. It has no roles and no scopes:
   * what it may do is in `viewer`, which only the admin guard reads.
   */
  async authenticate(credential: string): Promise<AuditPrincipal> {
    const key = this.options.viewerTokens.key;
    if (!key) throw new ViewerTokenRefused('Viewer tokens are not enabled on this server');
    if (credential.length > 8192) throw new ViewerTokenRefused('The viewer token is too long');
    let payload: Record<string, unknown>;
    try {
      payload = (
        await jwtVerify(credential.slice(VIEWER_TOKEN_PREFIX.length), key, {
          algorithms: ['HS256'],
          typ: VIEWER_TOKEN_TYP,
          requiredClaims: ['org', 'exp', 'iat', 'jti'],
          currentDate: this.options.clock.now(),
          // Minted and checked by the same servers: no clock skew to allow for.
          clockTolerance: 0,
        })
      ).payload;
    } catch (err) {
      throw new ViewerTokenRefused(
        err instanceof joseErrors.JWTExpired
          ? 'The viewer token has expired'
          : 'The viewer token is not valid',
      );
    }
    const claims = parseViewerClaims(payload, this.options.viewerTokens.maxTtlSeconds);
    if (!claims) throw new ViewerTokenRefused('The viewer token is not valid');
    return {
      sub: `viewer:${claims.sub ?? claims.jti}`,
      ...(claims.sub !== undefined ? { name: claims.sub } : {}),
      ...(claims.exportEmail !== undefined ? { email: claims.exportEmail } : {}),
      orgs: {},
      scopes: [],
      viewer: {
        orgId: claims.org,
        narrowing: claims.narrowing,
        tokenId: claims.jti,
        ...(claims.exportEmail !== undefined ? { exportEmail: claims.exportEmail } : {}),
      },
    };
  }

  private check(input: MintViewerTokenOptions): { ttl: number; narrowing: AuditViewerNarrowing } {
    const bad = (field: string, message: string) => new ViewerTokenInputError(field, message);
    if (typeof input.orgId !== 'string' || !ORG_KEY.test(input.orgId))
      throw bad('orgId', 'must be an org id: 1 to 64 letters, digits, ".", "_" or "-"');
    const max = this.options.viewerTokens.maxTtlSeconds;
    const ttl = input.ttlSeconds ?? this.options.viewerTokens.defaultTtlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > max)
      throw bad('ttlSeconds', `must be a whole number of seconds from 1 to ${max}`);
    if (
      input.subject !== undefined &&
      (typeof input.subject !== 'string' ||
        input.subject.length > 255 ||
        !ONE_LINE.test(input.subject) ||
        !isValidNameClaim(input.subject))
    )
      throw bad('subject', 'must be one line of 1 to 255 characters');
    if (input.exportEmail !== undefined && !isValidEmailClaim(input.exportEmail))
      throw bad('exportEmail', 'must be one e-mail address');
    const narrowing: AuditViewerNarrowing = {};
    for (const field of ['actions', 'actors', 'products'] as const) {
      const list = input[field];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length < 1 || list.length > MAX_FILTER_VALUES)
        throw bad(field, `must be a list of 1 to ${MAX_FILTER_VALUES} values`);
      for (const v of list) {
        if (typeof v !== 'string' || !v.trim() || v.length > LIMITS[field] || !ONE_LINE.test(v))
          throw bad(field, `must hold values of 1 to ${LIMITS[field]} characters, one line each`);
        if (field === 'actions' && !this.catalog.getAction(v))
          throw bad(field, `holds "${v}", which is not a known action (see event-actions)`);
      }
      narrowing[field] = [...new Set(list)];
    }
    if (input.from !== undefined) {
      const ms =
        input.from instanceof Date
          ? input.from.getTime()
          : typeof input.from === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(input.from)
            ? Date.parse(input.from)
            : NaN;
      if (!Number.isFinite(ms)) throw bad('from', 'must be a date or an ISO 8601 date-time');
      narrowing.from = new Date(ms).toISOString();
    }
    return { ttl, narrowing };
  }
}
