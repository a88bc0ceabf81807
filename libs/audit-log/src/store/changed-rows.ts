import { DataSource } from 'typeorm';

/**
 * Runs one statement and returns how many rows it changed: for the conditional UPDATEs and
 * DELETEs (compare and set) that decide who does what. A query runner gives the affected-row
 * count on both drivers; `DataSource.query` does not on SQLite.
 */
export async function changedRows(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
): Promise<number> {
  const runner = dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return Number(result.affected ?? 0);
  } finally {
    await runner.release();
  }
}
