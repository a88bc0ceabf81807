import { DataSourceOptions } from 'typeorm';

/**
 * TypeORM options for a `DATABASE_URL`: `mysql://user:pass@host:3306/db` (MySQL 8 / MariaDB
 * 10.6+ through mysql2) or `sqlite:PATH` (better-sqlite3, WAL, `sqlite::memory:` for tests).
 * Throws a one-line error naming the problem for anything else.
 */
export function auditDataSourceOptions(
  url: string,
  extra: { poolSize?: number; logging?: boolean } = {},
): DataSourceOptions {
  if (/^(mysql|mariadb):\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('DATABASE_URL is not a valid mysql:// URL');
    }
    if (!parsed.hostname || parsed.pathname.length < 2) {
      throw new Error(
        'DATABASE_URL must name a host and a database: mysql://user:pass@host:3306/db',
      );
    }
    return {
      type: 'mysql',
      connectorPackage: 'mysql2',
      url: url.replace(/^mariadb:/i, 'mysql:'),
      charset: 'utf8mb4_bin',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      poolSize: extra.poolSize ?? 10,
      // Lets the writer send a batch in two round trips. Every statement the library sends is
      // parameterized, so this widens nothing an injection could use.
      multipleStatements: true,
      logging: extra.logging ?? false,
    };
  }
  if (/^sqlite:/i.test(url)) {
    const database = url.slice('sqlite:'.length);
    if (!database) throw new Error('DATABASE_URL must name a file: sqlite:./data/auditkit.db');
    return {
      type: 'better-sqlite3',
      database,
      enableWAL: database !== ':memory:',
      // Another process may hold the write lock for a moment; wait instead of failing at once.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('busy_timeout = 5000');
      },
      logging: extra.logging ?? false,
    };
  }
  throw new Error('DATABASE_URL must start with mysql:// or sqlite:');
}
