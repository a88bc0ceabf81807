export const EVENTS_TABLE = 'auditkit_events';
export const TERMS_TABLE = 'auditkit_event_terms';
export const ORG_STATE_TABLE = 'auditkit_org_state';
export const EXPORTS_TABLE = 'auditkit_exports';
export const IDEMPOTENCY_TABLE = 'auditkit_idempotency_keys';
export const MIGRATIONS_TABLE = 'auditkit_migrations';

/** Column order of `auditkit_events`, shared by the writer's INSERT and the readers. */
export const EVENT_COLUMNS = [
  'id',
  'org_id',
  'seq',
  'occurred_at',
  'recorded_at',
  'action',
  'category',
  'actor_id',
  'actor_type',
  'actor_name',
  'actor_email',
  'targets',
  'site_id',
  'site_name',
  'product',
  'ip',
  'user_agent',
  'outcome',
  'metadata',
  'hash',
  // The hash format (null: format 0) and the salt of the personal-field commitments.
  'hash_v',
  'salt',
] as const;
