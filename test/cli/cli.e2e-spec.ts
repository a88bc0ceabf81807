import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { jwtVerify } from 'jose';
import { auditDataSourceOptions } from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

// The CLI as users run it: the built binary (`npm test` builds first, see package.json pretest).
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'cli.js');
const SECRET = 'cli-test-secret-cli-test-secret-cli-test!';

describe.each(DATABASES)('auditkit CLI on %s', (kind) => {
  let db: TestDatabase;
  let dataDir: string;
  let ds: DataSource;

  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        AUDITKIT_JWT_SECRET: SECRET,
        AUDITKIT_DATA_DIR: dataDir,
        ...env,
      },
      encoding: 'utf8',
      timeout: 60000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    dataDir = mkdtempSync(join(tmpdir(), 'auditkit-cli-'));
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses bad arguments with a clear error and a non-zero exit', () => {
    expect(run([]).code).toBe(2);
    const unknown = run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    expect(run(['token', '--role', 'org-admin']).err).toContain('--org is required');
    expect(
      run(['token', '--org', 'acme', '--role', 'org-admin', '--ttl', 'forever']).err,
    ).toContain('--ttl must look like');
    expect(run(['seed', '--org', 'acme', '--events', 'abc']).err).toContain(
      '--events must be a whole number',
    );
    expect(run(['seed', '--org', 'a b', '--events', '1']).err).toContain('--org may hold only');
    expect(run(['purge', '--now', 'yesterday']).err).toContain('--now must be an ISO 8601 time');
    expect(run(['verify', '--org', 'acme', '--bogus']).code).toBe(2);
    const badEnv = run(['migrate'], { AUDITKIT_RETENTION_DAYS: 'abc' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.err).toContain('AUDITKIT_RETENTION_DAYS must be a whole number');
  });

  it('mints a token that the admin API accepts', async () => {
    const r = run([
      'token',
      '--org',
      'acme',
      '--role',
      'org-admin',
      '--sub',
      'u-7',
      '--name',
      'Jane Doe',
      '--email',
      'jane@acme.test',
      '--scope',
      'events:write',
      '--ttl',
      '2h',
    ]);
    expect(r.code).toBe(0);
    const { payload, protectedHeader } = await jwtVerify(
      r.out.trim(),
      new TextEncoder().encode(SECRET),
    );
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({
      sub: 'u-7',
      name: 'Jane Doe',
      email: 'jane@acme.test',
      orgs: { acme: ['org-admin'] },
      scope: 'events:write',
    });
    expect(payload.exp! - payload.iat!).toBe(7200);
  });

  it('migrates, seeds all five categories, purges by retention and verifies the chain', async () => {
    expect(run(['migrate']).out).toMatch(/Applied: AuditKitSchema/);
    expect(run(['migrate']).out).toContain('Schema is up to date');

    const seeded = run(['seed', '--org', 'acme', '--events', '300', '--days', '200']);
    expect(seeded.err).toBe('');
    expect(seeded.out).toContain('Recorded 300 events for acme over 200 days');
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    const categories = await ds.query(
      'SELECT DISTINCT category FROM auditkit_events ORDER BY category',
    );
    expect(categories.map((r: { category: string }) => r.category)).toEqual([
      'groups',
      'organization',
      'security_policies',
      'site_product_users',
      'user_accounts',
    ]);
    const cutoff = Date.now() - 180 * 24 * 3600 * 1000;
    const [{ n: old }] = await ds.query(
      'SELECT COUNT(*) AS n FROM auditkit_events WHERE occurred_at < ?',
      [cutoff],
    );
    expect(Number(old)).toBeGreaterThan(0);

    expect(run(['verify', '--org', 'acme']).out).toContain('acme: intact, 300 events');

    const dry = run(['purge', '--dry-run']);
    expect(dry.out).toMatch(new RegExp(`acme: would remove ${Number(old)} events`));
    const purged = run(['purge']);
    expect(purged.out).toMatch(new RegExp(`acme: removed ${Number(old)} events`));
    const [{ n: left }] = await ds.query('SELECT COUNT(*) AS n FROM auditkit_events');
    expect(Number(left)).toBe(300 - Number(old));
    expect(run(['purge']).out).toContain('Nothing older than 180 days');
    // A purge "in the future" takes everything older than 180 days before that moment.
    expect(
      run(['purge', '--dry-run', '--now', new Date(Date.now() + 400 * 86400000).toISOString()]).out,
    ).toContain(`acme: would remove ${Number(left)} events`);

    const verified = run(['verify', '--org', 'acme']);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain(
      `acme: intact, ${Number(left)} events (from seq ${Number(old) + 1}`,
    );

    const [victim] = await ds.query(
      'SELECT id, seq FROM auditkit_events ORDER BY seq DESC LIMIT 1 OFFSET 5',
    );
    await ds.query('UPDATE auditkit_events SET actor_name = ? WHERE id = ?', [
      'Mallory',
      victim.id,
    ]);
    const broken = run(['verify', '--org', 'acme']);
    expect(broken.code).toBe(3);
    expect(broken.err).toContain(`acme: BROKEN at seq ${Number(victim.seq)}`);
  });

  it('refuses to purge with a --now later than the clock, unless --allow-future says it is meant', async () => {
    const events = async () =>
      Number((await ds.query('SELECT COUNT(*) AS n FROM auditkit_events'))[0].n);
    const before = await events();
    expect(before).toBeGreaterThan(0);
    const tomorrow = new Date(Date.now() + 86400000).toISOString();
    for (const now of ['2100-01-01', tomorrow]) {
      const refused = run(['purge', '--now', now]);
      expect(refused.code).toBe(2);
      expect(refused.out).toBe('');
      expect(refused.err).toContain(
        `auditkit: --now ${now} is later than the current time; a purge then removes events ` +
          'before they are due. Add --allow-future if that is what you mean',
      );
    }
    expect(run(['purge', '--allow-future']).err).toContain('--allow-future needs --now');
    expect(await events()).toBe(before);

    // A dry run removes nothing, so it may look ahead without the flag.
    const dry = run(['purge', '--dry-run', '--now', '2100-01-01']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`acme: would remove ${before} events`);
    expect(await events()).toBe(before);

    const meant = run(['purge', '--now', '2100-01-01', '--allow-future']);
    expect(meant.code).toBe(0);
    expect(meant.out).toContain(`acme: removed ${before} events`);
    expect(await events()).toBe(0);
  });
});
