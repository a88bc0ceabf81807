import { DataSource } from 'typeorm';
import { createTestDatabase, DATABASES, TestDatabase } from '../../../../test/support/databases';
import { auditDataSourceOptions } from './data-source-options';
import {
  EVENTS_LAYOUT,
  ORG_STATE_LAYOUT,
  ROLLUP_LAYOUT,
  TableLayout,
  TERMS_LAYOUT,
} from './event-table';
import { runAuditLogMigrations } from './migration-runner';

// The migrations keep their DDL written out (they are history); the code takes the tables'
// columns from the layout. This holds the two together: the layout must describe, column for
// column and in order, what the migrations create on each database.

const TABLES: TableLayout[] = [EVENTS_LAYOUT, TERMS_LAYOUT, ORG_STATE_LAYOUT, ROLLUP_LAYOUT];

interface ColumnFacts {
  name: string;
  type: string;
  nullable: boolean;
  charset?: string | null;
}

describe.each(DATABASES)('the table layout against the migrated schema (%s)', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    await runAuditLogMigrations(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function migrated(table: string): Promise<ColumnFacts[]> {
    if (kind === 'sqlite') {
      const rows: { name: string; type: string; notnull: number }[] = await ds.query(
        `PRAGMA table_info(${table})`,
      );
      return rows.map((r) => ({ name: r.name, type: r.type, nullable: r.notnull === 0 }));
    }
    const rows: {
      name: string;
      type: string;
      nullable: string;
      charset: string | null;
    }[] = await ds.query(
      `SELECT column_name AS name, column_type AS type, is_nullable AS nullable, character_set_name AS charset
       FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?
       ORDER BY ordinal_position`,
      [table],
    );
    return rows.map((r) => ({
      name: r.name,
      // MariaDB shows integer display widths (bigint(20)), which the DDL does not declare.
      type: r.type.replace(/int\(\d+\)/, 'int').toUpperCase(),
      nullable: r.nullable === 'YES',
      charset: r.charset,
    }));
  }

  function declared(table: TableLayout): ColumnFacts[] {
    return Object.values(table.columns).map((c) => {
      const text = c.sqlite === 'TEXT';
      return kind === 'sqlite'
        ? { name: c.column, type: c.sqlite, nullable: c.nullable }
        : {
            name: c.column,
            type: c.mysql,
            nullable: c.nullable,
            charset: !text ? null : c.ascii ? 'ascii' : table.charset,
          };
    });
  }

  it.each(TABLES.map((t) => [t.name, t] as const))('%s', async (name, table) => {
    expect(await migrated(name)).toEqual(declared(table));
  });
});
