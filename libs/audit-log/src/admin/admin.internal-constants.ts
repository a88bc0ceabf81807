/** The CursorCodec of the admin API. */
export const AUDIT_CURSOR_CODEC = Symbol('AUDIT_CURSOR_CODEC');
/** Readiness checks other modules (export) add to `/readyz`. */
export const AUDIT_READINESS = Symbol('AUDIT_READINESS');
