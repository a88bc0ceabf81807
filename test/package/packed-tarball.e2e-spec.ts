import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { lstatSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions } from '@auditkit/nestjs';
import { signAuditToken } from '@auditkit/nestjs/admin';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';

/**
 * The package as a user gets it: `npm pack` of libs/audit-log, installed into a fresh Nest 11
 * app in a temporary directory that has only the tarball and the host's own dependencies (from
 * the npm registry, through npm's cache). Recording works with the core entry point alone, the
 * admin plugin answers once its peers are installed, on SQLite and on MariaDB, and the sizes
 * each step adds are measured (README "Packaging").
 */

const ROOT = join(__dirname, '..', '..');
const LIB = join(ROOT, 'libs', 'audit-log');
const SECRET = 'packed-tarball-secret-of-32-chars!!';
const MB = 1_000_000;

/** The version the repo itself runs, so the host installs what npm's cache already holds. */
function versionOf(name: string): string {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}
const pinned = (names: string[]) => names.map((n) => `${n}@${versionOf(n)}`);

/** What a fresh `nest new` app has, plus TypeORM and both database drivers. */
const HOST_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'reflect-metadata',
  'rxjs',
  'typeorm',
  'better-sqlite3',
  'mysql2',
];
const HOST_DEV_DEPENDENCIES = ['typescript', '@types/node', '@types/express'];
/** The optional peers of the admin, export, retention and metrics entry points. */
const ADMIN_PEERS = ['class-validator', 'class-transformer', '@nestjs/throttler', 'jose', 'cookie'];
const OTHER_PEERS = ['@nestjs/schedule', '@nestjs/bull', 'bull', 'fast-csv', 'nodemailer'];

/** Bytes of the files under `dir` (apparent size, symlinks not followed). */
function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else total += lstatSync(path).size;
  }
  return total;
}

function npm(cwd: string, args: string[]): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a compiled host script; resolves once it listens. */
async function startHost(
  dir: string,
  script: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(dir, 'dist', script)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    `${script} to listen`,
    () => {
      if (child.exitCode !== null) throw new Error(`${script} exited: ${output}`);
      return output.includes(`listening ${port}`);
    },
    { timeoutMs: 30_000 },
  );
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function eventsIn(url: string): Promise<{ action: string; actor_name: string }[]> {
  const dataSource = new DataSource(auditDataSourceOptions(url));
  await dataSource.initialize();
  try {
    return await dataSource.query(
      'SELECT action, actor_name FROM auditkit_events WHERE org_id = ? ORDER BY seq',
      ['acme'],
    );
  } finally {
    await dataSource.destroy();
  }
}

describe('the packed @auditkit/nestjs in a fresh Nest 11 app', () => {
  let work: string;
  let host: string;
  const sizes: Record<string, number> = {};
  const databases: TestDatabase[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'auditkit-pack-'));
    host = join(work, 'host');
    mkdirSync(join(host, 'src'), { recursive: true });
    // prepack rebuilds dist from scratch, so the tarball holds exactly what the sources give.
    const packed = JSON.parse(npm(LIB, ['pack', '--json', '--pack-destination', work]));
    sizes.tarball = packed[0].size;
    sizes.unpacked = packed[0].unpackedSize;

    writeFileSync(
      join(host, 'package.json'),
      JSON.stringify(
        {
          name: 'fresh-host',
          private: true,
          // npm 11 runs no install script it was not told to: better-sqlite3 builds natively.
          allowScripts: { 'better-sqlite3': true },
        },
        null,
        2,
      ),
    );
    npm(host, ['install', ...pinned(HOST_DEPENDENCIES)]);
    npm(host, ['install', '--save-dev', ...pinned(HOST_DEV_DEPENDENCIES)]);
    sizes.host = sizeOf(join(host, 'node_modules'));
    npm(host, ['install', join(work, packed[0].filename)]);
    sizes.recordOnly = sizeOf(join(host, 'node_modules'));

    for (const file of ['record-only.ts', 'full.ts']) {
      copyFileSync(join(__dirname, 'host', file), join(host, 'src', file));
    }
    // The tsconfig of `nest new` (Nest 11): node16-style resolution, which reads "exports".
    writeFileSync(
      join(host, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          resolvePackageJsonExports: true,
          esModuleInterop: true,
          isolatedModules: true,
          declaration: true,
          removeComments: true,
          emitDecoratorMetadata: true,
          experimentalDecorators: true,
          allowSyntheticDefaultImports: true,
          target: 'ES2023',
          outDir: './dist',
          rootDir: './src',
          skipLibCheck: true,
          strictNullChecks: true,
          types: ['node'],
        },
        include: ['src/record-only.ts'],
      }),
    );
    execFileSync(join(host, 'node_modules', '.bin', 'tsc'), ['-p', host], { encoding: 'utf8' });
  }, 600_000);

  afterAll(async () => {
    for (const db of databases) await db.drop();
    if (work) rmSync(work, { recursive: true, force: true });
    const f = (bytes?: number) => (bytes === undefined ? '?' : `${(bytes / MB).toFixed(2)} MB`);
    console.log(
      [
        `tarball ${f(sizes.tarball)} (unpacked ${f(sizes.unpacked)})`,
        `host node_modules ${f(sizes.host)}`,
        `record only: +${f(sizes.recordOnly - sizes.host)}`,
        `with the admin plugin's peers: +${f(sizes.admin - sizes.host)}`,
        `everything: +${f(sizes.everything - sizes.host)}`,
      ].join('\n'),
    );
  });

  it('adds at most 5 MB to the host for recording, and pulls in no optional peer', () => {
    expect(sizes.recordOnly - sizes.host).toBeLessThanOrEqual(5 * MB);
    for (const peer of [...ADMIN_PEERS, ...OTHER_PEERS, 'prom-client', '@nestjs/swagger']) {
      expect(() => lstatSync(join(host, 'node_modules', peer))).toThrow();
    }
  });

  it.each(['sqlite', 'mariadb'] as const)(
    'records through @Audit, AuditService and auditMiddleware with only the core (%s)',
    async (kind) => {
      const db = await createTestDatabase(kind);
      databases.push(db);
      const app = await startHost(host, 'record-only.js', { DATABASE_URL: db.url });
      try {
        await request(app.url).post('/orgs/acme/groups').send({ name: 'admins' }).expect(201);
        await request(app.url).post('/orgs/acme/groups/g-admins/delete').expect(201);
        await request(app.url).post('/orgs/acme/settings').expect(200);
      } finally {
        await stopHost(app.child);
      }
      expect(await eventsIn(db.url)).toEqual([
        { action: 'group_created', actor_name: 'Jane Doe' },
        { action: 'group_deleted', actor_name: 'Jane Doe' },
        { action: 'org_settings_changed', actor_name: 'Jane Doe' },
      ]);
    },
    60_000,
  );

  describe('with the peers of the other entry points installed', () => {
    beforeAll(() => {
      npm(host, ['install', ...pinned(ADMIN_PEERS)]);
      sizes.admin = sizeOf(join(host, 'node_modules'));
      npm(host, ['install', ...pinned([...OTHER_PEERS, 'prom-client'])]);
      sizes.everything = sizeOf(join(host, 'node_modules'));
      const tsconfig = JSON.parse(readFileSync(join(host, 'tsconfig.json'), 'utf8'));
      tsconfig.include = ['src/full.ts'];
      writeFileSync(join(host, 'tsconfig.json'), JSON.stringify(tsconfig));
      execFileSync(join(host, 'node_modules', '.bin', 'tsc'), ['-p', host], { encoding: 'utf8' });
    }, 300_000);

    it.each(['sqlite', 'mariadb'] as const)(
      'records, the admin plugin serves the events to an org admin only, /metrics counts (%s)',
      async (kind) => {
        const db = await createTestDatabase(kind);
        databases.push(db);
        const app = await startHost(host, 'full.js', { DATABASE_URL: db.url, JWT_SECRET: SECRET });
        try {
          await request(app.url).post('/orgs/acme/groups').send({ name: 'ops' }).expect(201);
          const admin = await signAuditToken(
            { sub: 'u-9', email: 'admin@acme.test', orgs: { acme: ['org-admin'] } },
            SECRET,
            600,
          );
          const res = await request(app.url)
            .get('/admin/v1/orgs/acme/events')
            .set('Authorization', `Bearer ${admin}`)
            .expect(200);
          expect(
            res.body.data.map((e: { attributes: { action: string } }) => e.attributes.action),
          ).toEqual(['group_created']);
          const other = await signAuditToken(
            { sub: 'u-8', orgs: { globex: ['org-admin'] } },
            SECRET,
            600,
          );
          await request(app.url)
            .get('/admin/v1/orgs/acme/events')
            .set('Authorization', `Bearer ${other}`)
            .expect(403);
          await request(app.url).get('/admin/v1/orgs/acme/events').expect(401);
          const metrics = await request(app.url).get('/metrics').expect(200);
          expect(metrics.text).toContain('auditkit_events_recorded_total{outcome="success"} 1');
        } finally {
          await stopHost(app.child);
        }
      },
      60_000,
    );
  });
});
