import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  EVENTS_TABLE,
  EXPORTS_TABLE,
  IDEMPOTENCY_TABLE,
  ORG_STATE_TABLE,
  TERMS_TABLE,
} from '../store.constants';

// Ids, org ids and keys are ASCII and compared byte for byte; names are utf8mb4_bin so they are
// kept exactly (no collation folding on read-back). Times are epoch milliseconds in BIGINT: one
// representation in MySQL and SQLite, no driver time-zone conversions.
const MYSQL = [
  `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
    id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    seq BIGINT UNSIGNED NOT NULL,
    occurred_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    action VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    category VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    actor_id VARCHAR(255) NOT NULL,
    actor_type VARCHAR(64) NOT NULL,
    actor_name VARCHAR(1024) NULL,
    actor_email VARCHAR(320) NULL,
    targets MEDIUMTEXT NOT NULL,
    site_id VARCHAR(255) NULL,
    site_name VARCHAR(1024) NULL,
    product VARCHAR(64) NULL,
    ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
    user_agent VARCHAR(1024) NULL,
    outcome VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    metadata MEDIUMTEXT NOT NULL,
    hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_auditkit_events_org_seq (org_id, seq),
    KEY idx_auditkit_events_org_time (org_id, occurred_at, id),
    KEY idx_auditkit_events_org_action_time (org_id, action, occurred_at, id),
    KEY idx_auditkit_events_org_actor_time (org_id, actor_id, occurred_at, id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS ${TERMS_TABLE} (
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    term CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    occurred_at BIGINT NOT NULL,
    event_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (org_id, term, occurred_at, event_id),
    KEY idx_auditkit_terms_org_time (org_id, occurred_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin`,
  `CREATE TABLE IF NOT EXISTS ${ORG_STATE_TABLE} (
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    last_seq BIGINT UNSIGNED NOT NULL,
    last_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    PRIMARY KEY (org_id)
  ) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS ${EXPORTS_TABLE} (
    id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    filters TEXT NOT NULL,
    requested_by VARCHAR(255) NOT NULL,
    requester_name VARCHAR(1024) NULL,
    requester_email VARCHAR(320) NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT NULL,
    ready_at BIGINT NULL,
    expires_at BIGINT NULL,
    row_count INT NULL,
    truncated TINYINT NOT NULL DEFAULT 0,
    storage_key VARCHAR(255) NULL,
    mailed_at BIGINT NULL,
    attempts INT NOT NULL DEFAULT 0,
    error TEXT NULL,
    PRIMARY KEY (id),
    KEY idx_auditkit_exports_org_created (org_id, created_at),
    KEY idx_auditkit_exports_status_expires (status, expires_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS ${IDEMPOTENCY_TABLE} (
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    body_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, idem_key),
    KEY idx_auditkit_idem_created (created_at)
  ) ENGINE=InnoDB`,
];

const SQLITE = [
  `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_name TEXT NULL,
    actor_email TEXT NULL,
    targets TEXT NOT NULL,
    site_id TEXT NULL,
    site_name TEXT NULL,
    product TEXT NULL,
    ip TEXT NULL,
    user_agent TEXT NULL,
    outcome TEXT NOT NULL,
    metadata TEXT NOT NULL,
    hash TEXT NULL
  )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS uq_auditkit_events_org_seq ON ${EVENTS_TABLE} (org_id, seq)`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_events_org_time ON ${EVENTS_TABLE} (org_id, occurred_at, id)`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_events_org_action_time ON ${EVENTS_TABLE} (org_id, action, occurred_at, id)`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_events_org_actor_time ON ${EVENTS_TABLE} (org_id, actor_id, occurred_at, id)`,
  `CREATE TABLE IF NOT EXISTS ${TERMS_TABLE} (
    org_id TEXT NOT NULL,
    term TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (org_id, term, occurred_at, event_id)
  ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_terms_org_time ON ${TERMS_TABLE} (org_id, occurred_at)`,
  `CREATE TABLE IF NOT EXISTS ${ORG_STATE_TABLE} (
    org_id TEXT NOT NULL PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS ${EXPORTS_TABLE} (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL,
    status TEXT NOT NULL,
    filters TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requester_name TEXT NULL,
    requester_email TEXT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER NULL,
    ready_at INTEGER NULL,
    expires_at INTEGER NULL,
    row_count INTEGER NULL,
    truncated INTEGER NOT NULL DEFAULT 0,
    storage_key TEXT NULL,
    mailed_at INTEGER NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_exports_org_created ON ${EXPORTS_TABLE} (org_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_exports_status_expires ON ${EXPORTS_TABLE} (status, expires_at)`,
  `CREATE TABLE IF NOT EXISTS ${IDEMPOTENCY_TABLE} (
    org_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, idem_key)
  ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_idem_created ON ${IDEMPOTENCY_TABLE} (created_at)`,
];

/**
 * The AuditKit schema: events, exact-term index, per-org sequence state, exports and idempotency
 * keys. Written with IF NOT EXISTS, so it is safe whether it runs through the host's TypeORM
 * migrations or through the module's own runner.
 */
export class AuditKitSchema1764000000000 implements MigrationInterface {
  name = 'AuditKitSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const statements = type === 'mysql' || type === 'mariadb' ? MYSQL : SQLITE;
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      IDEMPOTENCY_TABLE,
      EXPORTS_TABLE,
      ORG_STATE_TABLE,
      TERMS_TABLE,
      EVENTS_TABLE,
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
