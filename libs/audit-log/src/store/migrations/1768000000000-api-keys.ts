import { MigrationInterface, QueryRunner } from 'typeorm';

/** Org API keys (docs/api.md, API keys). */
export const API_KEYS_TABLE = 'auditkit_api_keys';

// A key is found by its id (the part of the secret before the random part) and checked against
// `secret_hash`, the SHA-256 of the whole secret: the secret itself is never stored. `scopes` is
// a JSON list; times are epoch milliseconds; `revoked_at` and `last_used_at` are null until then.
const MYSQL = [
  `CREATE TABLE IF NOT EXISTS ${API_KEYS_TABLE} (
    id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name VARCHAR(100) NOT NULL,
    scopes VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    secret_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    created_by_name VARCHAR(1024) NULL,
    created_by_email VARCHAR(320) NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NULL,
    revoked_by VARCHAR(255) NULL,
    last_used_at BIGINT NULL,
    PRIMARY KEY (id),
    KEY idx_auditkit_api_keys_org (org_id, created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

const SQLITE = [
  `CREATE TABLE IF NOT EXISTS ${API_KEYS_TABLE} (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_by_name TEXT NULL,
    created_by_email TEXT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NULL,
    revoked_by TEXT NULL,
    last_used_at INTEGER NULL
  ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_api_keys_org ON ${API_KEYS_TABLE} (org_id, created_at)`,
];

/** Org API keys. Written with IF NOT EXISTS, like the schema, so either runner may apply it. */
export class AuditKitApiKeys1768000000000 implements MigrationInterface {
  name = 'AuditKitApiKeys1768000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const statements = type === 'mysql' || type === 'mariadb' ? MYSQL : SQLITE;
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${API_KEYS_TABLE}`);
  }
}
