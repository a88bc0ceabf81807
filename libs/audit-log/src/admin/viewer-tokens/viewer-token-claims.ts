import type { AuditViewerNarrowing } from '../../auth/audit-principal.interface';
import { ORG_KEY } from '../../auth/jwt';
import { MAX_FILTER_VALUES } from '../../query/event-filters';

/**
 * How a viewer token starts: it tells one from an admin JWT or an API key at a glance (and to
 * secret scanners), before any signature is checked.
 */
export const VIEWER_TOKEN_PREFIX = 'avt_';
/** The JWS `typ` of a viewer token; an admin JWT does not carry it. */
export const VIEWER_TOKEN_TYP = 'auditkit-viewer+jwt';

/** Whether a bearer credential is meant as a viewer token (well-formed or not). */
export function looksLikeViewerToken(credential: string): boolean {
  return credential.startsWith(VIEWER_TOKEN_PREFIX);
}

/** The claims of a verified viewer token. */
export interface ViewerClaims {
  org: string;
  jti: string;
  sub?: string;
  narrowing: AuditViewerNarrowing;
  exportEmail?: string;
}

const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) &&
  v.length >= 1 &&
  v.length <= MAX_FILTER_VALUES &&
  v.every((x) => typeof x === 'string' && x !== '');

/**
 * The claims of a token whose signature checked out, or undefined when they are not what `mint`
 * writes. Only our servers sign these, so a bad shape means a leaked key or a bug: refused
 * either way rather than read loosely.
 */
export function parseViewerClaims(
  p: Record<string, unknown>,
  maxTtlSeconds: number,
): ViewerClaims | undefined {
  const { org, jti, sub, iat, exp, narrowing, export: exp0 } = p;
  if (typeof org !== 'string' || !ORG_KEY.test(org)) return undefined;
  if (typeof jti !== 'string' || !jti) return undefined;
  if (sub !== undefined && typeof sub !== 'string') return undefined;
  // A token living longer than the maximum allows was not minted under these options.
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > maxTtlSeconds)
    return undefined;
  const out: AuditViewerNarrowing = {};
  if (narrowing !== undefined) {
    if (!narrowing || typeof narrowing !== 'object' || Array.isArray(narrowing)) return undefined;
    const n = narrowing as Record<string, unknown>;
    for (const key of Object.keys(n)) {
      if (key === 'from') {
        if (typeof n.from !== 'string' || Number.isNaN(Date.parse(n.from))) return undefined;
        out.from = n.from;
      } else if (key === 'actions' || key === 'actors' || key === 'products') {
        const list = n[key];
        if (!isStringList(list)) return undefined;
        out[key] = list;
      } else return undefined;
    }
  }
  let exportEmail: string | undefined;
  if (exp0 !== undefined) {
    const email = (exp0 as { email?: unknown } | null)?.email;
    if (typeof email !== 'string') return undefined;
    exportEmail = email;
  }
  return {
    org,
    jti,
    ...(sub !== undefined ? { sub } : {}),
    narrowing: out,
    ...(exportEmail !== undefined ? { exportEmail } : {}),
  };
}
