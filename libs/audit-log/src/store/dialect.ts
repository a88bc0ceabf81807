import { DataSource } from 'typeorm';

/** The two database families the store speaks. */
export type StoreDialect = 'mysql' | 'sqlite';

export function dialectOf(dataSource: DataSource): StoreDialect {
  const type = dataSource.options.type;
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  if (type === 'better-sqlite3' || type === 'sqlite') return 'sqlite';
  throw new Error(
    `AuditLogModule: database type "${type}" is not supported; use mysql/mariadb or better-sqlite3`,
  );
}

/** `?, ?, ?` for n values. */
export function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}
