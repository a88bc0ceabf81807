import { DataSource } from 'typeorm';
import { dialectOf } from './dialect';
import { MIGRATIONS_TABLE } from './store.constants';
import { auditLogMigrations } from './migrations';

/**
 * Applies the library's own migrations, tracked in `auditkit_migrations`, independent of the
 * host's migration table. On MySQL a named lock keeps several instances starting at once from
 * racing each other.
 */
export async function runAuditLogMigrations(dataSource: DataSource): Promise<string[]> {
  const dialect = dialectOf(dataSource);
  const queryRunner = dataSource.createQueryRunner();
  const applied: string[] = [];
  try {
    await queryRunner.connect();
    if (dialect === 'mysql') {
      const [lock] = await queryRunner.query(`SELECT GET_LOCK('auditkit_migrations', 60) AS l`);
      if (Number(lock.l) !== 1)
        throw new Error('AuditLogModule: timed out waiting for the migration lock');
    }
    try {
      await queryRunner.query(
        dialect === 'mysql'
          ? `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name VARCHAR(255) NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL) ENGINE=InnoDB`
          : `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`,
      );
      const rows: { name: string }[] = await queryRunner.query(
        `SELECT name FROM ${MIGRATIONS_TABLE}`,
      );
      const done = new Set(rows.map((r) => r.name));
      for (const Migration of auditLogMigrations) {
        const migration = new Migration();
        if (done.has(migration.name)) continue;
        // MySQL commits DDL implicitly, so each migration is written to be re-runnable instead.
        await migration.up(queryRunner);
        await queryRunner.query(
          `INSERT INTO ${MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)`,
          [migration.name, Date.now()],
        );
        applied.push(migration.name);
      }
    } finally {
      if (dialect === 'mysql')
        await queryRunner.query(`SELECT RELEASE_LOCK('auditkit_migrations')`);
    }
  } finally {
    await queryRunner.release();
  }
  return applied;
}
