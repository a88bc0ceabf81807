/**
 * Who calls the admin API: the claims of docs/api.md section 3, whether they came from a bearer JWT,
 * the UI's session cookie, or the host app's own guard.
 */
export interface AuditPrincipal {
  sub: string;
  name?: string;
  email?: string;
  /** Roles per org id, e.g. `{ acme: ['org-admin'] }`. */
  orgs: Record<string, string[]>;
  /** Granted scopes, e.g. `['events:write']`. */
  scopes: string[];
  /**
   * Set when the caller is an org API key: it acts within its one org and its scopes only, and
   * never as an org admin (it cannot manage keys, sessions or destinations).
   */
  apiKey?: { id: string; orgId: string };
  /**
   * Set when the caller is a viewer token (docs/viewer.md): it only reads, in its one org, the
   * events its narrowing lets through, and exports only when the token names an e-mail.
   */
  viewer?: AuditViewerGrant;
}

/** What a viewer token grants. */
export interface AuditViewerGrant {
  orgId: string;
  narrowing: AuditViewerNarrowing;
  /** Where an export of this viewer is mailed; no export without it. */
  exportEmail?: string;
  /** The token's `jti`. */
  tokenId: string;
}

/**
 * The events a viewer token is narrowed to: each list given allows only its values, `from` only
 * events at or after it. Absent means not narrowed in that dimension.
 */
export interface AuditViewerNarrowing {
  actions?: string[];
  actors?: string[];
  products?: string[];
  /** ISO 8601 date-time. */
  from?: string;
}

/** The role that opens an org's audit log. */
export const ORG_ADMIN_ROLE = 'org-admin';
/** The scope that allows recording events over HTTP. */
export const EVENTS_WRITE_SCOPE = 'events:write';
