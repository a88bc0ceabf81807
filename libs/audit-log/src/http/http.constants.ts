/**
 * The guard that authenticates admin API requests and checks `@RequirePermission`. The admin
 * plugin provides it; the export module's routes inject it, so both answer to the same tokens,
 * sessions and host principal.
 */
export const AUDIT_REQUEST_GUARD = Symbol('AUDIT_REQUEST_GUARD');
