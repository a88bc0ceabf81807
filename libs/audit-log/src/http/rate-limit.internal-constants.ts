/** The RateLimitTable of a module (the admin plugin's or the export module's). */
export const AUDIT_RATE_LIMITS = Symbol('AUDIT_RATE_LIMITS');
