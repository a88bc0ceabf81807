import { createHmac, timingSafeEqual } from 'node:crypto';

/** Options of {@link ExportLinkSigner}. */
export interface ExportLinkSignerOptions {
  /**
   * The HMAC key. At least 32 random bytes are recommended. A per-purpose key is derived from
   * it, so sharing the JWT secret cannot turn a bearer token into a download link or back.
   */
  secret: string | Buffer;
}

/** What a download link grants: one export of one org until `expiresAt`. */
export interface ExportLinkClaims {
  exportId: string;
  orgId: string;
  expiresAt: Date;
}

/** The outcome of {@link ExportLinkSigner.verify}. */
export type ExportLinkVerification =
  ({ ok: true } & ExportLinkClaims) | { ok: false; reason: 'invalid' | 'expired' };

/** Longer tokens are rejected before any decoding; real ones are about 150 characters. */
const MAX_TOKEN_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KEY_CONTEXT = 'auditkit:export-link:v1';
const TOKEN_VERSION = 1;

interface LinkPayload {
  v: number;
  e: string;
  o: string;
  x: number;
}

function isLinkPayload(value: unknown): value is LinkPayload {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const p = value as Record<string, unknown>;
  return (
    p.v === TOKEN_VERSION &&
    typeof p.e === 'string' &&
    p.e.length > 0 &&
    typeof p.o === 'string' &&
    p.o.length > 0 &&
    typeof p.x === 'number' &&
    Number.isSafeInteger(p.x)
  );
}

/**
 * Signs and checks the token of an e-mailed download link: a base64url JSON payload naming the
 * export, its org and the expiry, a dot, and the base64url HMAC-SHA256 of the payload. The
 * token is URL-safe and needs no storage; it grants nothing beyond that one export.
 */
export class ExportLinkSigner {
  private readonly key: Buffer;

  constructor(options: ExportLinkSignerOptions) {
    const secret =
      typeof options?.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options?.secret;
    if (!Buffer.isBuffer(secret) || secret.length === 0) {
      throw new TypeError('ExportLinkSigner needs a non-empty secret');
    }
    this.key = createHmac('sha256', secret).update(KEY_CONTEXT).digest();
  }

  /** A token for `exportId` of `orgId`, valid until `expiresAt` (exclusive). */
  sign(claims: ExportLinkClaims): string {
    const { exportId, orgId, expiresAt } = claims;
    if (typeof exportId !== 'string' || exportId.length === 0) {
      throw new TypeError('exportId must be a non-empty string');
    }
    if (typeof orgId !== 'string' || orgId.length === 0) {
      throw new TypeError('orgId must be a non-empty string');
    }
    if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
      throw new TypeError('expiresAt must be a valid Date');
    }
    const body: LinkPayload = { v: TOKEN_VERSION, e: exportId, o: orgId, x: expiresAt.getTime() };
    const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    const token = `${payload}.${this.mac(payload).toString('base64url')}`;
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new RangeError('exportId and orgId are too long for a download link');
    }
    return token;
  }

  /**
   * Checks a token at `now`. Never throws: anything malformed, forged or signed with another
   * secret is `invalid`; a genuine token past its expiry is `expired`.
   */
  verify(token: string, now: Date): ExportLinkVerification {
    const invalid = { ok: false, reason: 'invalid' } as const;
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
      return invalid;
    }
    const parts = token.split('.');
    if (parts.length !== 2) {
      return invalid;
    }
    const [payload, signature] = parts;
    if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) {
      return invalid;
    }
    const given = Buffer.from(signature, 'base64url');
    // Only the canonical encoding is accepted, so one token has exactly one spelling.
    if (given.toString('base64url') !== signature) {
      return invalid;
    }
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return invalid;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return invalid;
    }
    if (!isLinkPayload(body)) {
      return invalid;
    }
    const nowMs = now instanceof Date ? now.getTime() : Number.NaN;
    if (Number.isNaN(nowMs) || nowMs >= body.x) {
      return { ok: false, reason: 'expired' };
    }
    return { ok: true, exportId: body.e, orgId: body.o, expiresAt: new Date(body.x) };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload, 'ascii').digest();
  }
}
