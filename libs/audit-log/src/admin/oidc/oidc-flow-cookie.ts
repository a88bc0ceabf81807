import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie that carries one sign-in's state, nonce and PKCE verifier to the callback. */
export const OIDC_FLOW_COOKIE = 'auditkit_oidc_flow';
/** The ID token of an OIDC session, kept for the `id_token_hint` of RP-initiated logout. */
export const OIDC_ID_TOKEN_COOKIE = 'auditkit_oidc_id_token';
/** How long a sign-in at the provider may take. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

/** What the callback needs to check the provider's answer. */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch ms after which the flow is refused. */
  expiresAt: number;
}

const FIELD = /^[A-Za-z0-9_-]{16,128}$/;

function mac(key: string | Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(`auditkit:oidc-flow:v1.${payload}`).digest();
}

/**
 * The flow as a cookie value: base64url JSON and its HMAC with the admin secret. Signed rather
 * than stored so any instance can finish a sign-in another began; the verifier in it is no
 * secret from the browser that started the flow (PKCE guards against a stolen code, not that).
 */
export function sealFlow(flow: OidcFlow, key: string | Buffer): string {
  const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** The flow of a cookie value, or null if it is missing, tampered with, malformed or expired. */
export function openFlow(
  value: string | undefined,
  key: string | Buffer,
  now: number,
): OidcFlow | null {
  if (!value) return null;
  const [payload, sig, extra] = value.split('.');
  if (!payload || !sig || extra !== undefined) return null;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let flow: Partial<OidcFlow>;
  try {
    flow = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<OidcFlow>;
  } catch {
    return null;
  }
  const ok =
    [flow.state, flow.nonce, flow.codeVerifier].every(
      (f) => typeof f === 'string' && FIELD.test(f),
    ) &&
    typeof flow.expiresAt === 'number' &&
    flow.expiresAt > now;
  return ok ? (flow as OidcFlow) : null;
}
