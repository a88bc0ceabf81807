import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { BaseClient } from 'openid-client';
import type { AuditPrincipal } from '../../auth/audit-principal.interface';
import { InvalidTokenError } from '../../auth/jwt';
import { apiError, ApiException, invalidParameter } from '../../http/api-error';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from '../audit-admin.module-definition';
import { principalFromOidcClaims } from './oidc-claims';
import { OIDC_FLOW_TTL_MS, OidcFlow } from './oidc-flow-cookie';
import type { ResolvedOidcOptions } from './oidc-options';

type OpenIdClient = typeof import('openid-client');

/** What the callback got from the provider's query string. */
export interface OidcCallbackParams {
  [name: string]: string | undefined;
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  error_description?: string;
}

/**
 * The relying party: discovery, the authorization URL (state, nonce, PKCE S256), the code
 * exchange (openid-client checks the ID token's signature, iss, aud, exp and nonce), the claims
 * mapped to roles, and the provider's logout URL. `openid-client` is loaded on first use, so a
 * host without OIDC does not need it installed.
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger('AuditLog');
  private client?: Promise<BaseClient>;
  private lib?: OpenIdClient;

  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly admin: ResolvedAuditAdminOptions,
  ) {}

  /** The OIDC options, or undefined when OIDC sign-in is off. */
  get options(): ResolvedOidcOptions | undefined {
    return this.admin.resolvedOidc;
  }

  /** A new flow and the provider URL that starts it. */
  async start(): Promise<{ url: string; flow: OidcFlow }> {
    const o = this.required();
    const client = await this.discover();
    const { generators } = this.openid();
    const flow: OidcFlow = {
      state: generators.state(),
      nonce: generators.nonce(),
      codeVerifier: generators.codeVerifier(),
      expiresAt: this.admin.clock.now().getTime() + OIDC_FLOW_TTL_MS,
    };
    const url = client.authorizationUrl({
      scope: o.scopes.join(' '),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: generators.codeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, flow };
  }

  /**
   * Checks the provider's answer against the flow and exchanges the code. 400 for anything the
   * provider or the ID token got wrong (a replayed code, a nonce that does not match), 503 if
   * the provider cannot be reached.
   */
  async finish(
    params: OidcCallbackParams,
    flow: OidcFlow,
  ): Promise<{ principal: AuditPrincipal; idToken: string }> {
    const o = this.required();
    if (params.error) {
      throw apiError(
        400,
        `The identity provider did not sign you in: ${params.error}${params.error_description ? ` (${params.error_description})` : ''}`,
        'oidc_refused',
      );
    }
    if (!params.code) throw invalidParameter('code', 'is missing from the callback');
    const client = await this.discover();
    const { errors } = this.openid();
    let tokens;
    try {
      tokens = await client.callback(
        o.redirectUri,
        { ...params },
        {
          state: flow.state,
          nonce: flow.nonce,
          code_verifier: flow.codeVerifier,
          response_type: 'code',
        },
      );
    } catch (err) {
      if (err instanceof errors.OPError) {
        throw apiError(400, `The identity provider refused the code: ${err.error}`, 'oidc_refused');
      }
      if (err instanceof errors.RPError) {
        throw apiError(
          400,
          `The identity provider's answer was not valid: ${err.message}`,
          'oidc_invalid',
        );
      }
      throw unreachable(o, err);
    }
    if (!tokens.id_token)
      throw apiError(400, 'The identity provider sent no ID token', 'oidc_invalid');
    try {
      return {
        principal: principalFromOidcClaims(tokens.claims(), o.roles),
        idToken: tokens.id_token,
      };
    } catch (err) {
      if (err instanceof InvalidTokenError) {
        throw apiError(400, `The ID token's claims cannot be used: ${err.message}`, 'oidc_invalid');
      }
      throw err;
    }
  }

  /** The provider's end-session URL for `idToken`, or null if it has none (or is unreachable). */
  async logoutUrl(idToken: string | undefined): Promise<string | null> {
    const o = this.required();
    let client: BaseClient;
    try {
      client = await this.discover();
    } catch {
      return null;
    }
    if (!client.issuer.metadata.end_session_endpoint) return null;
    return client.endSessionUrl({
      id_token_hint: idToken,
      post_logout_redirect_uri: o.postLogoutRedirectUri,
      state: randomBytes(16).toString('base64url'),
    });
  }

  /** The OIDC options, or a 404 when OIDC sign-in is off. */
  required(): ResolvedOidcOptions {
    if (!this.options) throw apiError(404, 'OpenID Connect sign-in is not configured');
    return this.options;
  }

  private openid(): OpenIdClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer, loaded on use
    return (this.lib ??= require('openid-client') as OpenIdClient);
  }

  /** The client of the discovered issuer; a failed discovery is retried on the next sign-in. */
  private discover(): Promise<BaseClient> {
    const o = this.required();
    this.client ??= (async () => {
      const { Issuer } = this.openid();
      const issuer = await Issuer.discover(o.issuer);
      return new issuer.Client({
        client_id: o.clientId,
        client_secret: o.clientSecret,
        token_endpoint_auth_method: o.clientSecret ? 'client_secret_basic' : 'none',
        redirect_uris: [o.redirectUri],
        post_logout_redirect_uris: [o.postLogoutRedirectUri],
        response_types: ['code'],
      });
    })();
    return this.client.catch((err: unknown) => {
      this.client = undefined;
      this.logger.warn(`OIDC: cannot discover ${o.issuer}: ${(err as Error).message}`);
      throw unreachable(o, err);
    });
  }
}

function unreachable(o: ResolvedOidcOptions, err: unknown): ApiException {
  if (err instanceof ApiException) return err;
  return apiError(
    503,
    `The identity provider (${o.issuer}) cannot be reached; try again later`,
    'oidc_unavailable',
  );
}
