import { MigrationInterface, QueryRunner } from 'typeorm';
import { EVENTS_TABLE } from '../store.constants';

const NEW_EVENT_COLUMNS = {
  mysql: [
    ['country_name', 'VARCHAR(128) NULL'],
    ['region_name', 'VARCHAR(128) NULL'],
    ['city', 'VARCHAR(128) NULL'],
  ],
  sqlite: [
    ['country_name', 'TEXT NULL'],
    ['region_name', 'TEXT NULL'],
    ['city', 'TEXT NULL'],
  ],
} as const;

// One index per way the location filter narrows a page: by country, and by city (a city is
// selective on its own; its country and region are then checked on the few rows it finds).
// Each walks (org, value) in time order, so a page costs what an unfiltered one does instead of
// sorting every event of a country. A region alone, or several locations at once, walk the
// org's time index and check the columns row by row.
const INDEXES = [
  ['idx_auditkit_events_org_country_time', 'org_id, country_name, occurred_at, id'],
  ['idx_auditkit_events_org_city_time', 'org_id, city, occurred_at, id'],
] as const;

/**
 * Where each event's IP is: country, region and city names, resolved when the event is recorded
 * (the `location` option), nullable, so events written before keep NULL. The columns come after
 * the hashed ones and no hash format covers them, so every existing chain verifies as before.
 * Adding nullable columns at the end is instant on InnoDB; the two indexes are built in place
 * without blocking writes (ALGORITHM=INPLACE, LOCK=NONE), in time proportional to the table.
 */
export class AuditKitLocation1766000000000 implements MigrationInterface {
  name = 'AuditKitLocation1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const dialect = type === 'mysql' || type === 'mariadb' ? 'mysql' : 'sqlite';
    // Re-runnable, as MySQL commits DDL at once and has no ADD COLUMN / INDEX IF NOT EXISTS.
    let columns: Set<string>;
    let indexes: Set<string>;
    if (dialect === 'mysql') {
      columns = new Set(
        (
          await queryRunner.query(
            `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?`,
            [EVENTS_TABLE],
          )
        ).map((r: { name: string }) => r.name),
      );
      indexes = new Set(
        (
          await queryRunner.query(
            `SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?`,
            [EVENTS_TABLE],
          )
        ).map((r: { name: string }) => r.name),
      );
    } else {
      columns = new Set(
        (await queryRunner.query(`PRAGMA table_info(${EVENTS_TABLE})`)).map(
          (r: { name: string }) => r.name,
        ),
      );
      indexes = new Set(
        (await queryRunner.query(`PRAGMA index_list(${EVENTS_TABLE})`)).map(
          (r: { name: string }) => r.name,
        ),
      );
    }
    for (const [column, type] of NEW_EVENT_COLUMNS[dialect]) {
      if (!columns.has(column))
        await queryRunner.query(`ALTER TABLE ${EVENTS_TABLE} ADD COLUMN ${column} ${type}`);
    }
    for (const [name, keys] of INDEXES) {
      if (indexes.has(name)) continue;
      await queryRunner.query(
        dialect === 'mysql'
          ? `ALTER TABLE ${EVENTS_TABLE} ADD INDEX ${name} (${keys}), ALGORITHM=INPLACE, LOCK=NONE`
          : `CREATE INDEX ${name} ON ${EVENTS_TABLE} (${keys})`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    for (const [name] of INDEXES)
      await queryRunner.query(
        mysql ? `DROP INDEX ${name} ON ${EVENTS_TABLE}` : `DROP INDEX IF EXISTS ${name}`,
      );
    for (const column of ['city', 'region_name', 'country_name'])
      await queryRunner.query(`ALTER TABLE ${EVENTS_TABLE} DROP COLUMN ${column}`);
  }
}
