import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/** The MariaDB/MySQL server the suites use; CI starts it (see .ci/run). */
export const MYSQL_URL = process.env.AUDITKIT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  kind: 'mariadb' | 'sqlite';
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of its own for one suite: a fresh schema on the MariaDB server, or a fresh SQLite
 * file. A MariaDB that does not answer fails the suite; nothing is skipped.
 */
export async function createTestDatabase(kind: 'mariadb' | 'sqlite'): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-'));
    return {
      kind,
      url: `sqlite:${join(dir, 'audit.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = new URL(MYSQL_URL);
  const name = `auditkit_t_${randomBytes(5).toString('hex')}`;
  const admin = await createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    password: decodeURIComponent(server.password),
  }).catch((err: Error) => {
    throw new Error(
      `MariaDB at ${server.host} does not answer (${err.message}); start it, see README "Tests"`,
    );
  });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const c = await createConnection({
        host: server.hostname,
        port: Number(server.port || 3306),
        user: decodeURIComponent(server.username || 'root'),
        password: decodeURIComponent(server.password),
      });
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

/** Both databases the suites run against. */
export const DATABASES = ['mariadb', 'sqlite'] as const;
