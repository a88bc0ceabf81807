import { MigrationInterface, QueryRunner } from 'typeorm';

/** The admin UI's server-side sessions. */
export const ADMIN_SESSIONS_TABLE = 'auditkit_admin_sessions';

// Sessions are found by the SHA-256 of their id (the cookie value is never stored), ended per
// user by the SHA-256 of `sub` (a subject can be longer than any index allows), and swept by
// expiry. `principal` is the JSON of the signed-in principal; times are epoch milliseconds.
const MYSQL = [
  `CREATE TABLE IF NOT EXISTS ${ADMIN_SESSIONS_TABLE} (
    id_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    sub_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    principal MEDIUMTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (id_hash),
    KEY idx_auditkit_admin_sessions_sub (sub_hash),
    KEY idx_auditkit_admin_sessions_expires (expires_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

const SQLITE = [
  `CREATE TABLE IF NOT EXISTS ${ADMIN_SESSIONS_TABLE} (
    id_hash TEXT NOT NULL PRIMARY KEY,
    sub_hash TEXT NOT NULL,
    principal TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_admin_sessions_sub ON ${ADMIN_SESSIONS_TABLE} (sub_hash)`,
  `CREATE INDEX IF NOT EXISTS idx_auditkit_admin_sessions_expires ON ${ADMIN_SESSIONS_TABLE} (expires_at)`,
];

/**
 * Server-side sessions of the admin UI, so that signing out or an admin can end one at once.
 * Written with IF NOT EXISTS, like the schema, so it is safe through either migration runner.
 */
export class AuditKitAdminSessions1764100000000 implements MigrationInterface {
  name = 'AuditKitAdminSessions1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const statements = type === 'mysql' || type === 'mariadb' ? MYSQL : SQLITE;
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${ADMIN_SESSIONS_TABLE}`);
  }
}
