import Database from 'better-sqlite3';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/databases';

// The admin app as `npm start` runs it: the built entry point (`npm test` builds first).
const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'main.js');
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'cli.js');
const DAY = 24 * 3600 * 1000;

/** Starts the built app; resolves once its log has `line`, with the output so far. */
async function startUntil(
  env: Record<string, string>,
  args: string[],
  line: string,
  timeoutMs: number,
): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes(line)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`no "${line}":\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output };
}

/** Sends SIGTERM and waits for the process to end. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return exited;
}

describe('starting the admin app', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'auditkit-start-'));
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, AUDITKIT_DATA_DIR: dataDir, ...env },
      encoding: 'utf8',
      timeout: 60000,
    });

  it.each([
    [{ PORT: 'abc' }, 'auditkit: PORT must be a whole number from 0 to 65535 (got "abc")'],
    [
      { DATABASE_URL: 'postgres://db/x' },
      'auditkit: DATABASE_URL must be mysql://user:pass@host:3306/db or sqlite:PATH',
    ],
    [{ REDIS_URL: 'http://cache' }, 'auditkit: REDIS_URL must start with redis:// or rediss://'],
    [{ SMTP_URL: 'not a url' }, 'auditkit: SMTP_URL is not a valid URL'],
    [
      { AUDITKIT_RETENTION_DAYS: '0' },
      'auditkit: AUDITKIT_RETENTION_DAYS must be a whole number from 1 to 36500 (got "0")',
    ],
    [{ AUDITKIT_WORKER: 'maybe' }, 'auditkit: AUDITKIT_WORKER must be true or false (got "maybe")'],
    [
      { AUDITKIT_VIEWER_COLUMNS: 'ip,password' },
      'auditkit: AUDITKIT_VIEWER_COLUMNS has the unknown column "password"; choose from targets, category, site, product, ip, location, userAgent, outcome',
    ],
    [
      { NODE_ENV: 'production' },
      'auditkit: AUDITKIT_JWT_SECRET is required when NODE_ENV=production',
    ],
  ])('refuses %j with one line naming the variable', (env, line) => {
    const r = start(env);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(line);
  });

  it.each([
    [
      { NODE_ENV: 'production', AUDITKIT_JWT_SECRET: 'x'.repeat(32) },
      'auditkit: AUDITKIT_SIGNING_KEY_FILE is required when NODE_ENV=production',
    ],
    [
      { AUDITKIT_SIGNING_KEY_FILE: '/nonexistent/key.pem' },
      'auditkit: AUDITKIT_SIGNING_KEY_FILE: cannot read /nonexistent/key.pem (ENOENT)',
    ],
    [
      { AUDITKIT_CHECKPOINT_EVERY_EVENTS: '0' },
      'auditkit: AUDITKIT_CHECKPOINT_EVERY_EVENTS must be a whole number from 1 to 10000000 (got "0")',
    ],
    [
      { AUDITKIT_WITNESS_URL: 'https://witness.test/cp' },
      'auditkit: AUDITKIT_WITNESS_SECRET is required with AUDITKIT_WITNESS_URL',
    ],
    [
      { AUDITKIT_WITNESS_URL: 'http://witness.test/cp', AUDITKIT_WITNESS_SECRET: 's' },
      'auditkit: AUDITKIT_WITNESS_URL: a webhook witness needs an https URL (http only on a loopback address)',
    ],
  ])('refuses integrity settings %j with one line naming the variable', (env, line) => {
    const r = start(env);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(line);
  });

  it('refuses a signing key file that holds no Ed25519 private key', () => {
    const bad = join(dataDir, 'not-a-key.pem');
    writeFileSync(bad, 'hello\n');
    const r = start({ AUDITKIT_SIGNING_KEY_FILE: bad });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^auditkit: AUDITKIT_SIGNING_KEY_FILE: the signing key is not a private key in PEM/,
    );
  });

  it('makes a development signing key once, readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-key-'));
    try {
      start({ AUDITKIT_DATA_DIR: dir, PORT: 'abc' });
      expect(existsSync(join(dir, 'signing-key.pem'))).toBe(false);
      // Configuration is checked in order; a good one gets as far as making the key.
      start({ AUDITKIT_DATA_DIR: dir, DATABASE_URL: 'mysql://u:p@127.0.0.1:1/x' });
      expect(statSync(join(dir, 'signing-key.pem')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a javascript: target link, checked by the admin plugin as it starts', () => {
    const r = start({
      AUDITKIT_VIEWER_TARGET_LINKS: '{"user":"javascript:alert({id})"}',
      PORT: '0',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe(
      'auditkit: could not start: AuditAdminModule: options.viewer.targetLinks.user must be an absolute http(s) URL or a path starting with "/" (got "javascript:alert({id})")',
    );
  });

  it('refuses to start half-working when the database does not answer', () => {
    const r = start({ DATABASE_URL: 'mysql://auditkit:s3cret@127.0.0.1:1/audit', PORT: '0' });
    expect(r.status).toBe(1);
    const last = r.stderr.trim().split('\n').pop();
    expect(last).toBe('auditkit: could not start: connect ECONNREFUSED 127.0.0.1:1');
    expect(r.stdout + r.stderr).not.toContain('s3cret');
  });

  describe('on MariaDB and Redis', () => {
    let db: TestDatabase;
    let child: ChildProcess;
    let output = '';

    beforeAll(async () => {
      db = await createTestDatabase('mariadb');
    });

    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await db?.drop();
    });

    it('serves healthz and readyz (database and Redis up), and stops cleanly on SIGTERM', async () => {
      const port = 39000 + Math.floor(Math.random() * 1000);
      child = spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env.PATH,
          AUDITKIT_DATA_DIR: dataDir,
          DATABASE_URL: db.url,
          REDIS_URL: 'redis://127.0.0.1:6379',
          PORT: String(port),
          AUDITKIT_JWT_SECRET: 'start-test-secret-start-test-secret-0123',
          AUDITKIT_VIEWER_ALLOWED_ORIGINS: 'https://app.example.com',
        },
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const deadline = Date.now() + 30000;
      while (!output.includes('AuditKit admin listening')) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // JSON answers carry no ETag (main.ts); the UI's files have their own, and revalidate.
      expect(health.headers.get('etag')).toBeNull();
      const page = await fetch(`http://127.0.0.1:${port}/`);
      const etag = page.headers.get('etag');
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      // Not fetch(): with If-None-Match it adds Cache-Control: no-cache, a forced reload.
      const again = await new Promise<number>((resolve, reject) =>
        httpGet(`http://127.0.0.1:${port}/`, { headers: { 'If-None-Match': etag! } }, (r) => {
          r.resume();
          resolve(r.statusCode!);
        }).on('error', reject),
      );
      expect(again).toBe(304);
      // AUDITKIT_VIEWER_ALLOWED_ORIGINS: that origin's pages may embed the viewer (CORS); no other.
      const preflight = (origin: string) =>
        fetch(`http://127.0.0.1:${port}/admin/v1/orgs/acme/events`, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
        });
      const allowed = await preflight('https://app.example.com');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      const other = await preflight('https://evil.example.com');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { database: { status: 'up' }, redis: { status: 'up' } },
      });
      // No secret in the log: the URL's credentials are masked, the JWT secret never printed.
      expect(output).not.toContain('start-test-secret');
      // Nest runs the shutdown hooks (the writer flushes, connections close), then re-raises
      // the signal on itself: the process ends by SIGTERM, without an error logged.
      const exited = new Promise<NodeJS.Signals | null>((r) =>
        child.once('exit', (_code, signal) => r(signal)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      expect(output).not.toMatch(/ERROR/);
    });
  });

  describe('npm start: the demo on SQLite, without Redis or SMTP', () => {
    let demoDir: string;
    let child: ChildProcess | undefined;

    beforeAll(() => {
      demoDir = mkdtempSync(join(tmpdir(), 'auditkit-demo-'));
    });

    afterAll(async () => {
      if (child) await stop(child);
      rmSync(demoDir, { recursive: true, force: true });
    });

    it('records months of activity with a daily rhythm; the first purge removes the oldest weeks and the chain still verifies', async () => {
      const port = 40000 + Math.floor(Math.random() * 1000);
      const env = {
        AUDITKIT_DATA_DIR: demoDir,
        DATABASE_URL: `sqlite:${join(demoDir, 'auditkit.db')}`,
        PORT: String(port),
      };
      const started = Date.now();
      const app = await startUntil(env, ['--demo'], 'Demo ready', 240_000);
      child = app.child;
      const link = readFileSync(join(demoDir, 'demo-sign-in.url'), 'utf8').trim();
      const token = link.slice(link.indexOf('#token=') + '#token='.length);
      const histogram = async (query: string) => {
        const res = await fetch(
          `http://127.0.0.1:${port}/admin/v1/orgs/acme/events-histogram?${query}`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        expect(res.status).toBe(200);
        return (await res.json()) as {
          data: { start: string; total: number; byCategory: Record<string, number> }[];
          meta: { total: number; source: string };
        };
      };
      // The demo's viewer: user targets link to their own activity, with two extra columns.
      const viewer = await fetch(`http://127.0.0.1:${port}/admin/v1/orgs/acme/viewer-config`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await viewer.json()).toEqual({
        data: { targetLinks: { user: '/?org={org}&actor={id}' }, columns: ['targets', 'category'] },
      });
      const days = await histogram(`from=${started - 202 * DAY}&interval=day`);
      expect(days.meta.source).toBe('rollup');
      expect(days.meta.total).toBeGreaterThan(2000);
      const active = days.data.filter((b) => b.total > 0);
      // The story starts 200 days back and runs to today.
      const oldest = Date.parse(active[0].start);
      expect(oldest).toBeLessThan(started - 199 * DAY);
      expect(oldest).toBeGreaterThan(started - 201 * DAY);
      expect(Date.parse(active[active.length - 1].start)).toBeGreaterThan(started - 2 * DAY);
      // Every month has activity, in all five types.
      for (let month = 0; month < 6; month++) {
        const slice = days.data.filter((b) => {
          const t = Date.parse(b.start);
          return t >= started - (month + 1) * 30 * DAY && t < started - month * 30 * DAY;
        });
        expect(slice.reduce((n, b) => n + b.total, 0)).toBeGreaterThan(100);
      }
      for (const category of [
        'site_product_users',
        'groups',
        'organization',
        'security_policies',
        'user_accounts',
      ])
        expect(days.data.reduce((n, b) => n + b.byCategory[category], 0)).toBeGreaterThan(20);
      // The rhythm: weekdays outweigh weekends, working hours outweigh nights.
      const weekday = days.data.filter((b) => ![0, 6].includes(new Date(b.start).getUTCDay()));
      const weekend = days.data.filter((b) => [0, 6].includes(new Date(b.start).getUTCDay()));
      const perDay = (list: typeof days.data) =>
        list.reduce((n, b) => n + b.total, 0) / list.length;
      expect(perDay(weekday)).toBeGreaterThan(4 * perDay(weekend));
      const hours = await histogram(`from=${started - 40 * DAY}&to=${started}&interval=hour`);
      const byHour = new Array(24).fill(0);
      for (const b of hours.data) byHour[new Date(b.start).getUTCHours()] += b.total;
      const working = byHour.slice(9, 17).reduce((n, x) => n + x, 0) / 8;
      const night = byHour.slice(0, 6).reduce((n, x) => n + x, 0) / 6;
      expect(working).toBeGreaterThan(10 * Math.max(night, 1));
      await stop(child);
      child = undefined;

      // The first purge (180 days) removes the oldest weeks, and the chain verifies after it.
      const cli = (args: string[]) =>
        spawnSync(process.execPath, [CLI, ...args], {
          env: { PATH: process.env.PATH, ...env },
          encoding: 'utf8',
          timeout: 60_000,
        });
      const purge = cli(['purge']);
      expect(purge.status).toBe(0);
      const removed = Number(/acme: removed (\d+) events/.exec(purge.stdout)?.[1]);
      expect(removed).toBeGreaterThan(100);
      const db = new Database(join(demoDir, 'auditkit.db'), { readonly: true });
      try {
        const { oldest: left } = db
          .prepare(`SELECT MIN(occurred_at) AS oldest FROM auditkit_events WHERE org_id = 'acme'`)
          .get() as { oldest: number };
        expect(left).toBeGreaterThanOrEqual(Date.now() - 180 * DAY - 60_000);
        expect(left).toBeLessThan(Date.now() - 170 * DAY);
        const [events, counted] = [
          `SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = 'acme'`,
          `SELECT SUM(events) AS n FROM auditkit_activity_rollup WHERE org_id = 'acme'`,
        ].map((sql) => Number((db.prepare(sql).get() as { n: number }).n));
        expect(counted).toBe(events);
        expect(events + removed).toBe(days.meta.total);
      } finally {
        db.close();
      }
      const verify = cli(['verify', '--org', 'acme']);
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
    }, 300_000);
  });
});
