import { MigrationInterface, QueryRunner } from 'typeorm';
import { DESTINATIONS_TABLE } from '../store.constants';

// One row per destination of an org: what it is (`type`, `config` as JSON, `secret` as one
// AES-256-GCM blob), where its cursor stands (`delivered_seq`, the last seq the receiver took),
// how delivery is going (`state`, failures, backoff, last error) and which instance holds it
// (`lease_owner` until `lease_until`). Times are epoch milliseconds. The dispatcher looks for
// work by state and due time, so that is the one index beside the org's.
const MYSQL = [
  `CREATE TABLE IF NOT EXISTS ${DESTINATIONS_TABLE} (
    id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name VARCHAR(200) NULL,
    config MEDIUMTEXT NOT NULL,
    secret TEXT NULL,
    state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    paused_reason VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
    delivered_seq BIGINT UNSIGNED NOT NULL,
    delivered_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    failures INT NOT NULL,
    first_failure_at BIGINT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error VARCHAR(1024) NULL,
    last_error_at BIGINT NULL,
    last_delivered_at BIGINT NULL,
    lease_owner VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (id),
    KEY idx_auditkit_destinations_org (org_id, created_at),
    KEY idx_auditkit_destinations_due (state, next_attempt_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

const SQLITE = [
  `CREATE TABLE IF NOT EXISTS ${DESTINATIONS_TABLE} (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NULL,
    config TEXT NOT NULL,
    secret TEXT NULL,
    state TEXT NOT NULL,
    paused_reason TEXT NULL,
    delivered_seq INTEGER NOT NULL,
    delivered_hash TEXT NULL,
    failures INTEGER NOT NULL,
    first_failure_at INTEGER NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT NULL,
    last_error_at INTEGER NULL,
    last_delivered_at INTEGER NULL,
    lease_owner TEXT NULL,
    lease_until INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_destinations_org ON ${DESTINATIONS_TABLE} (org_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_destinations_due ON ${DESTINATIONS_TABLE} (state, next_attempt_at)`,
];

/**
 * Destinations that events are streamed to (webhooks, syslog, Splunk HEC, files), each with its
 * own cursor over the org's `seq` (docs/destinations.md). Written with IF NOT EXISTS, like the
 * schema, so it is safe through either migration runner.
 */
export class AuditKitDestinations1767000000000 implements MigrationInterface {
  name = 'AuditKitDestinations1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const statements = type === 'mysql' || type === 'mariadb' ? MYSQL : SQLITE;
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${DESTINATIONS_TABLE}`);
  }
}
