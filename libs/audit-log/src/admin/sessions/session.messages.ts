/** `sessionTtlHours` of AuditAdminModule cannot be used. */
export const invalidSessionTtlMessage = (value: unknown): string =>
  `AuditAdminModule: options.sessionTtlHours must be a number of hours above 0 and at most 8760 (got ${JSON.stringify(String(value)).slice(0, 40)})`;

/** A cookie-authenticated request whose session is unknown, ended or expired. */
export const sessionEndedMessage = (): string =>
  'The session has ended or is not valid; sign in again';

/** A cookie-authenticated write without the session's CSRF token. */
export const csrfFailedMessage = (): string =>
  'Missing or wrong X-CSRF-Token header for a cookie-authenticated request';

/** Sessions are the host's business in host mode. */
export const hostManagesSessionsMessage = (): string =>
  'Sessions are managed by the host application';

/** POST session with a token while `tokenSignIn` is off. */
export const tokenSignInOffMessage = (): string =>
  'Signing in with a pasted token is turned off here; sign in through the identity provider. Bearer tokens still work on the API itself';
