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
}

/** The role that opens an org's audit log. */
export const ORG_ADMIN_ROLE = 'org-admin';
/** The scope that allows recording events over HTTP. */
export const EVENTS_WRITE_SCOPE = 'events:write';
