import { MigrationInterface, QueryRunner } from 'typeorm';
import { CHECKPOINTS_TABLE } from '../../integrity/integrity.constants';
import { EVENTS_TABLE } from '../store.constants';

const NEW_EVENT_COLUMNS = {
  mysql: [
    ['hash_v', 'SMALLINT NULL'],
    ['salt', 'VARCHAR(22) CHARACTER SET ascii COLLATE ascii_bin NULL'],
  ],
  sqlite: [
    ['hash_v', 'INTEGER NULL'],
    ['salt', 'TEXT NULL'],
  ],
} as const;

const CHECKPOINTS = {
  mysql: `CREATE TABLE IF NOT EXISTS ${CHECKPOINTS_TABLE} (
    org_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    seq BIGINT UNSIGNED NOT NULL,
    kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    signed_at BIGINT NOT NULL,
    purge_through BIGINT UNSIGNED NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (org_id, seq, kind, signed_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  sqlite: `CREATE TABLE IF NOT EXISTS ${CHECKPOINTS_TABLE} (
    org_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    purge_through INTEGER NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (org_id, seq, kind, signed_at)
  ) WITHOUT ROWID`,
};

/**
 * Tamper evidence that holds against write access to the database: events gain their hash
 * format (`hash_v`, NULL for format 0) and the salt of their personal-field commitments, and
 * signed checkpoints get a table. Rows written before keep verifying as format 0. Adding
 * columns at the end is instant on InnoDB, so a large table upgrades without a copy.
 */
export class AuditKitIntegrity1765000000000 implements MigrationInterface {
  name = 'AuditKitIntegrity1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const dialect = type === 'mysql' || type === 'mariadb' ? 'mysql' : 'sqlite';
    // Re-runnable: MySQL commits DDL at once, so a half-applied run must be safe to repeat, and
    // MySQL 8 has no ADD COLUMN IF NOT EXISTS.
    const existing = new Set(
      dialect === 'mysql'
        ? (
            await queryRunner.query(
              `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?`,
              [EVENTS_TABLE],
            )
          ).map((r: { name: string }) => r.name)
        : (await queryRunner.query(`PRAGMA table_info(${EVENTS_TABLE})`)).map(
            (r: { name: string }) => r.name,
          ),
    );
    for (const [column, type] of NEW_EVENT_COLUMNS[dialect]) {
      if (!existing.has(column))
        await queryRunner.query(`ALTER TABLE ${EVENTS_TABLE} ADD COLUMN ${column} ${type}`);
    }
    await queryRunner.query(CHECKPOINTS[dialect]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ${CHECKPOINTS_TABLE}`);
    for (const column of ['salt', 'hash_v'])
      await queryRunner.query(`ALTER TABLE ${EVENTS_TABLE} DROP COLUMN ${column}`);
  }
}
