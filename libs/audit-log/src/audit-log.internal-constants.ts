/** The DataSource events are stored in (the host's or the module's own). */
export const AUDIT_DATA_SOURCE = Symbol('AUDIT_DATA_SOURCE');
/** Options with defaults merged. */
export const AUDIT_RESOLVED_OPTIONS = Symbol('AUDIT_RESOLVED_OPTIONS');
