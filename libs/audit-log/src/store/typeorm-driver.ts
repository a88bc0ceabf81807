import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';

// The one place that reaches past TypeORM's public API into its drivers (mysql2 and
// better-sqlite3). TypeORM 0.3 exposes no public way to hold a pooled connection across several
// packets, to run SQLite statements synchronously, or to open a connection like the pool's own;
// the write path and the verifier need all three. A TypeORM upgrade that moves these is fixed
// here alone.

/** A pooled mysql2 connection (callback API), as TypeORM's MySQL driver hands it out. */
export interface PooledMysqlConnection {
  query(
    sql: string,
    params: unknown[],
    callback: (err: (Error & { fatal?: boolean }) | null, result?: unknown) => void,
  ): void;
  release(): void;
  destroy(): void;
}

interface MysqlDriverInternals {
  obtainMasterConnection(): Promise<PooledMysqlConnection>;
  options: { replication?: { master: unknown } };
  createConnectionOptions?: (options: unknown, credentials: unknown) => Record<string, unknown>;
}

/**
 * A connection of the data source's MySQL pool (the primary's, under replication), held until
 * `release()` or `destroy()`: a QueryRunner would give it back between packets.
 */
export function takeMysqlConnection(dataSource: DataSource): Promise<PooledMysqlConnection> {
  return (dataSource.driver as unknown as MysqlDriverInternals).obtainMasterConnection();
}

/** Sends one packet on a held connection; resolves with the driver's result. */
export function queryConnection(
  connection: PooledMysqlConnection,
  sql: string,
  params: unknown[],
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    connection.query(sql, params, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

/**
 * Whether the data source's MySQL connections send several statements in one packet: only a pool
 * opened with `multipleStatements` (the module's own) can.
 */
export function sendsMultipleStatements(dataSource: DataSource): boolean {
  return (dataSource.options as { multipleStatements?: boolean }).multipleStatements === true;
}

/**
 * The options mysql2 opens the data source's own connections with, for a connection opened
 * elsewhere (a worker thread); null where the driver cannot tell them.
 */
export function mysqlConnectionOptions(dataSource: DataSource): Record<string, unknown> | null {
  const driver = dataSource.driver as unknown as MysqlDriverInternals;
  if (typeof driver.createConnectionOptions !== 'function') return null;
  return driver.createConnectionOptions(
    driver.options,
    driver.options.replication?.master ?? driver.options,
  );
}

/**
 * The better-sqlite3 database behind the data source. TypeORM shares it between every query
 * runner, so a transaction open on any of them is open on it (`inTransaction`).
 */
export function sqliteDatabase(dataSource: DataSource): Database {
  return (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
}
