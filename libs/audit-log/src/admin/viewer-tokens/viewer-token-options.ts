import { hkdfSync } from 'node:crypto';

/** Options of viewer tokens (`AuditAdminModuleOptions.viewerTokens`). */
export interface AuditViewerTokenOptions {
  /**
   * What viewer tokens are signed with (through HKDF-SHA256, for this use only); the same on
   * every instance. @default options.secret, else jwt.secret
   */
  secret?: string;
  /** The longest life a viewer token may be given, in seconds (at most a week). @default 86400 */
  maxTtlSeconds?: number;
  /**
   * Origins (`https://app.example.com`) whose pages may call the admin API and load the UI's
   * files from another origin (CORS), e.g. to embed the viewer. @default none
   */
  allowedOrigins?: string[];
}

/** `viewerTokens` checked, with its defaults. */
export interface ResolvedViewerTokenOptions {
  /** The HS256 key of viewer tokens; undefined when no secret is configured (tokens are off). */
  key?: Uint8Array;
  maxTtlSeconds: number;
  defaultTtlSeconds: number;
  allowedOrigins: string[];
}

/** Life of a viewer token when the minter does not say. */
export const VIEWER_TOKEN_DEFAULT_TTL_SECONDS = 15 * 60;
/** Default of `viewerTokens.maxTtlSeconds`. */
export const VIEWER_TOKEN_DEFAULT_MAX_TTL_SECONDS = 24 * 3600;
const WEEK = 7 * 24 * 3600;
// What an Origin header holds: scheme, host, optional port; nothing after.
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Whether `value` is an origin as `viewerTokens.allowedOrigins` takes it: `http(s)://host[:port]`,
 * nothing after (e.g. `https://app.example.com`).
 */
export function isViewerOrigin(value: unknown): value is string {
  return typeof value === 'string' && ORIGIN.test(value);
}

/**
 * Checks `viewerTokens` (errors name the option) and derives the signing key. The key is derived
 * with HKDF for this use only, so that a viewer token never verifies as an admin JWT signed with
 * the same secret, nor the other way round.
 */
export function resolveViewerTokenOptions(
  o: AuditViewerTokenOptions | undefined,
  fallbackSecret: string | undefined,
): ResolvedViewerTokenOptions {
  if (o !== undefined && (o === null || typeof o !== 'object' || Array.isArray(o)))
    throw new Error('options.viewerTokens must be an object');
  const v = o ?? {};
  if (v.secret !== undefined && (typeof v.secret !== 'string' || v.secret.length < 16))
    throw new Error('options.viewerTokens.secret must be a string of at least 16 characters');
  const maxTtlSeconds = v.maxTtlSeconds ?? VIEWER_TOKEN_DEFAULT_MAX_TTL_SECONDS;
  if (!Number.isInteger(maxTtlSeconds) || maxTtlSeconds < 60 || maxTtlSeconds > WEEK)
    throw new Error(
      `options.viewerTokens.maxTtlSeconds must be a whole number of seconds from 60 to ${WEEK} (got ${String(v.maxTtlSeconds)})`,
    );
  const origins = v.allowedOrigins ?? [];
  if (!Array.isArray(origins) || !origins.every(isViewerOrigin))
    throw new Error(
      'options.viewerTokens.allowedOrigins must be a list of origins like "https://app.example.com" (scheme, host and port only)',
    );
  const secret = v.secret ?? fallbackSecret;
  if (o !== undefined && !secret)
    throw new Error(
      'options.viewerTokens needs a secret: viewerTokens.secret, secret or jwt.secret',
    );
  return {
    key: secret
      ? new Uint8Array(hkdfSync('sha256', secret, '', 'auditkit:viewer-token:v1', 32))
      : undefined,
    maxTtlSeconds,
    defaultTtlSeconds: Math.min(VIEWER_TOKEN_DEFAULT_TTL_SECONDS, maxTtlSeconds),
    allowedOrigins: [...new Set(origins.map((x) => x.toLowerCase()))],
  };
}
