// The events, terms and org-state tables are laid out in ./event-table.ts; their names are here
// too for the readers that only need a name.
export { EVENTS_TABLE, TERMS_TABLE, ORG_STATE_TABLE, EVENT_COLUMNS } from './event-table';
export const EXPORTS_TABLE = 'auditkit_exports';
export const IDEMPOTENCY_TABLE = 'auditkit_idempotency_keys';
export const MIGRATIONS_TABLE = 'auditkit_migrations';
export const DESTINATIONS_TABLE = 'auditkit_destinations';
