/** Metadata key that `@Audit()` writes and the interceptor reads. */
export const AUDIT_METADATA = 'auditkit:audit';
