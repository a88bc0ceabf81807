import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, hash, KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AuditLogModule,
  AuditService,
  keyIdOf,
  SignedExportManifest,
  verifyExportFile,
} from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import {
  AuditExportModule,
  AuditExportModuleOptions,
  AuditExportQueueOptions,
  AuditExportService,
  EXPORT_FAILED_SUBJECT,
  ExportStorage,
  ExportStorageSource,
  LocalExportStorage,
  MANIFEST_LINK_LABEL,
} from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import {
  allFiles,
  downloadLink,
  forgetQueues,
  JWT_SECRET,
  LINK_SECRET,
  parseCsv,
  pathOf,
  PUBLIC_URL,
  seedEvents,
  tempDir,
  TestClock,
  token,
  uniqueQueue,
} from './support/export-app';
import { GatedStorage } from './support/gated-storage';
import { SmtpSink } from './support/smtp-sink';

// The CLI as users run it: the built binary (`npm test` builds first, see package.json pretest).
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'cli.js');
const HOUR = 3600_000;
const REDIS_URL = process.env.AUDITKIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh Ed25519 key pair: the PKCS#8 PEM the server signs with, and the public key. */
function signingKey(): { pem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey };
}

/** Fails every write of a manifest, as a storage that breaks between the two files would. */
class NoManifestStorage implements ExportStorage {
  constructor(private readonly inner: LocalExportStorage) {}
  write(key: string, source: ExportStorageSource): Promise<number> {
    if (key.endsWith('.manifest.json')) return Promise.reject(new Error('bucket went away'));
    return this.inner.write(key, source);
  }
  createReadStream(key: string) {
    return this.inner.createReadStream(key);
  }
  exists(key: string) {
    return this.inner.exists(key);
  }
  size(key: string) {
    return this.inner.size(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
}

/** The manifest link of a ready mail, checked to be in both parts under its label. */
function manifestLink(mail: ParsedMail): string {
  const text = mail.text ?? '';
  const match = new RegExp(`${MANIFEST_LINK_LABEL}: (\\S+)`).exec(text);
  if (!match) throw new Error(`no "${MANIFEST_LINK_LABEL}" link in the text part:\n${text}`);
  const href = match[1].replace(/&/g, '&amp;');
  expect(mail.html).toContain(`<a href="${href}">${MANIFEST_LINK_LABEL}</a>`);
  return match[1];
}

/** GET a link, keeping the body's bytes exactly. */
function fetchBytes(app: INestApplication, link: string) {
  return request(app.getHttpServer())
    .get(pathOf(link))
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
}

/** Runs `verify-export` in `dir` with no configuration at all: only PATH in the environment. */
function verifyExport(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'verify-export', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('signed export manifests on MariaDB with SMTP', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let app: INestApplication;
  let ds: DataSource;
  let storageDir: string;
  let clock: TestClock;
  let admin: string;
  const key = signingKey();
  const keyId = keyIdOf(key.publicKey);
  const opened: INestApplication[] = [];
  const dirs: string[] = [];

  async function createApp(
    signingPem: string | undefined,
    exportOptions: Partial<AuditExportModuleOptions> & {
      queue?: AuditExportQueueOptions;
      storage?: ExportStorage;
    },
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl: db.url,
          integrity: { signingKey: signingPem, schedule: false },
        }),
        AuditAdminModule.forRoot({ jwt: { secret: JWT_SECRET } }),
        AuditExportModule.forRoot({
          publicUrl: PUBLIC_URL,
          linkSecret: LINK_SECRET,
          smtpUrl: smtp.url,
          cleanup: false,
          rateLimit: { exports: false, downloads: { limit: 4, windowMs: HOUR } },
          ...exportOptions,
          // Each app runs only the exports it queued itself.
          queue: { backoffMs: 50, recoveryIntervalMs: 0, ...exportOptions.queue },
        }),
      ],
    }).compile();
    const created = moduleRef.createNestApplication({ logger: false });
    await created.init();
    opened.push(created);
    return created;
  }

  function dir(label: string): string {
    const d = tempDir(label);
    dirs.push(d);
    return d;
  }

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
    storageDir = dir('manifest-store');
    clock = new TestClock();
    app = await createApp(key.pem, { storageDir, clock });
    ds = app.get(AuditService)['store']['dataSource'] as DataSource;
    admin = await token();
    await seedEvents(app, 'acme', 120);
    await seedEvents(app, 'globex', 20);
  });

  afterAll(async () => {
    for (const a of opened.reverse()) await a.close();
    await forgetQueues(REDIS_URL);
    await smtp?.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function requestExport(target: INestApplication, body: object, orgId = 'acme') {
    const bearer = orgId === 'acme' ? admin : await token({ orgs: { [orgId]: ['org-admin'] } });
    const res = await request(target.getHttpServer())
      .post(`/admin/v1/orgs/${orgId}/exports`)
      .set('Authorization', `Bearer ${bearer}`)
      .send(body)
      .expect(202);
    return res.body.data.id as string;
  }

  function mailFor(id: string) {
    return waitFor(`the mail of export ${id}`, () => smtp.forExport(id)[0]);
  }

  /**
   * Requests an export, reads its mail, follows both links; the files as downloaded. With
   * `beforeRun`, `target` has no worker: the export runs by hand once `beforeRun` is done.
   */
  async function exported(
    target: INestApplication,
    body: object,
    orgId = 'acme',
    beforeRun?: () => Promise<void>,
  ) {
    const id = await requestExport(target, body, orgId);
    if (beforeRun) {
      await beforeRun();
      await target.get(AuditExportService).run(id);
    }
    const mail = await mailFor(id);
    const csvLink = downloadLink(mail);
    const jsonLink = manifestLink(mail);
    expect(jsonLink).toBe(`${csvLink}&file=manifest`);
    const csv = await fetchBytes(target, csvLink).expect(200);
    const manifest = await fetchBytes(target, jsonLink).expect(200);
    return { id, mail, csvLink, jsonLink, csv, manifest };
  }

  /** A directory holding only these files, as an auditor who downloaded them would have. */
  function auditorDir(files: Record<string, string | Buffer>): string {
    const d = dir('auditor');
    for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content);
    return d;
  }

  const publicPem = () => key.publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it('delivers a signed manifest that the CLI verifies offline, and names each tampering', async () => {
    const { mail, csv, manifest } = await exported(app, { category: 'groups' });
    expect(mail.text).toContain('Download audit log: ');
    expect(manifest.headers['content-type']).toBe('application/json');
    expect(manifest.headers['content-disposition']).toMatch(
      /^attachment; filename="audit-log-acme-\d{4}-\d{2}-\d{2}\.manifest\.json"$/,
    );
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const body = manifest.body as Buffer;
    const signed = JSON.parse(body.toString('utf8')) as SignedExportManifest;
    const rows = await parseCsv((csv.body as Buffer).toString('utf8'));
    expect(signed).toMatchObject({
      v: 1,
      type: 'auditkit-export-manifest',
      org: 'acme',
      filters: { category: 'groups' },
      rowCount: rows.length - 1,
      truncated: false,
      sha256: hash('sha256', csv.body as Buffer, 'hex'),
      keyId,
    });
    expect(signed.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);

    const csvBytes = csv.body as Buffer;
    const intact = auditorDir({
      'export.csv': csvBytes,
      'manifest.json': body,
      'key.pem': publicPem(),
    });
    const ok = verifyExport(intact, ['export.csv', 'manifest.json', '--public-key', 'key.pem']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')[0]).toBe(
      `intact: ${signed.rowCount} rows, seq ${signed.seqRange!.first}..${signed.seqRange!.last}, ` +
        `sha256 ${signed.sha256}, signed by key ${keyId}`,
    );
    // Nothing was read from, or written to, the directory but the three files.
    expect(readdirSync(intact).sort()).toEqual(['export.csv', 'key.pem', 'manifest.json']);
    // The key as the key endpoint publishes it (a JWK set) works too.
    const jwks = JSON.stringify({
      keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid: keyId, current: true }],
    });
    writeFileSync(join(intact, 'keys.json'), jwks);
    expect(
      verifyExport(intact, ['export.csv', 'manifest.json', '--public-key', 'keys.json']).code,
    ).toBe(0);

    const text = csvBytes.toString('utf8');
    const lines = text.split('\r\n');
    const oneCell = auditorDir({
      // One date a year earlier: the file still parses, with the same rows.
      'export.csv': lines
        .map((line, i) => (i === 3 ? line.replace(/^\d{4}/, (y) => String(Number(y) - 1)) : line))
        .join('\r\n'),
      'manifest.json': body,
      'key.pem': publicPem(),
    });
    const cell = verifyExport(oneCell, ['export.csv', 'manifest.json', '--public-key', 'key.pem']);
    expect(cell.code).toBe(3);
    expect(cell.out).toBe('');
    expect(cell.err).toContain("- the file's SHA-256 is ");
    expect(cell.err).not.toContain('data rows');

    const rowRemoved = auditorDir({
      'export.csv': [...lines.slice(0, 5), ...lines.slice(6)].join('\r\n'),
      'manifest.json': body,
      'key.pem': publicPem(),
    });
    const removed = verifyExport(rowRemoved, [
      'export.csv',
      'manifest.json',
      '--public-key',
      'key.pem',
    ]);
    expect(removed.code).toBe(3);
    expect(removed.err).toContain("- the file's SHA-256 is ");
    expect(removed.err).toContain(
      `- the file has ${signed.rowCount - 1} data rows, the manifest says ${signed.rowCount}`,
    );

    const edited = auditorDir({
      'export.csv': csvBytes,
      'manifest.json': JSON.stringify({ ...signed, rowCount: signed.rowCount - 1 }),
      'key.pem': publicPem(),
    });
    const forged = verifyExport(edited, ['export.csv', 'manifest.json', '--public-key', 'key.pem']);
    expect(forged.code).toBe(3);
    expect(forged.err).toContain('- the manifest signature is not valid for this public key');

    const other = signingKey();
    const otherKey = auditorDir({
      'export.csv': csvBytes,
      'manifest.json': body,
      'key.pem': other.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    });
    const wrong = verifyExport(otherKey, [
      'export.csv',
      'manifest.json',
      '--public-key',
      'key.pem',
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.err).toContain(
      `- the manifest was signed with key ${keyId}, not with ${keyIdOf(other.publicKey)}`,
    );
    expect(wrong.err).toContain('- the manifest signature is not valid for this public key');
  });

  it("states the exported rows' seq range and the chain head as the database holds them", async () => {
    const from = new Date(Date.now() - 20 * 60_000).toISOString();
    const later = await createApp(key.pem, {
      storageDir: dir('later-store'),
      worker: false,
      redisUrl: REDIS_URL,
      queue: uniqueQueue('manifest-later'),
    });
    // Events that match the filters but come after the request: not in the file, nor the head.
    const newer: number[] = [];
    const { id, csv, manifest } = await exported(
      later,
      { category: 'groups', from },
      'acme',
      async () => {
        for (let i = 0; i < 3; i++) {
          const e = await app.get(AuditService).record({
            orgId: 'acme',
            action: 'group_created',
            actor: { id: 'u-late', type: 'user' },
            targets: [{ id: `g-late-${i}`, type: 'group' }],
          });
          newer.push(e.seq);
        }
      },
    );
    const signed = JSON.parse((manifest.body as Buffer).toString('utf8')) as SignedExportManifest;
    const rows = (await parseCsv((csv.body as Buffer).toString('utf8'))).slice(1);
    expect(rows.length).toBeGreaterThan(1);

    // Every exported event's seq, looked up by its id.
    const ids = rows.map((r) => r[11]);
    const seqs: { seq: string | number }[] = await ds.query(
      `SELECT seq FROM auditkit_events WHERE org_id = 'acme' AND id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    expect(seqs).toHaveLength(ids.length);
    const numbers = seqs.map((s) => Number(s.seq));
    expect(signed.seqRange).toEqual({ first: Math.min(...numbers), last: Math.max(...numbers) });

    // The head: the export's own audit_log_exported event, with its stored hash.
    const [spec] = await ds.query('SELECT filters FROM auditkit_exports WHERE id = ?', [id]);
    const snapshotSeq = JSON.parse(spec.filters).snapshotSeq as number;
    const [head] = await ds.query(
      `SELECT seq, hash, action, metadata FROM auditkit_events WHERE org_id = 'acme' AND seq = ?`,
      [snapshotSeq],
    );
    expect(head.action).toBe('audit_log_exported');
    expect(JSON.parse(head.metadata).exportId).toBe(id);
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.chainHead).toEqual({ seq: snapshotSeq, hash: head.hash });
    expect(Math.min(...newer)).toBeGreaterThan(snapshotSeq);
    expect(signed.seqRange!.last).toBeLessThan(snapshotSeq);
    expect(signed).toMatchObject({ exportId: id, filters: { category: 'groups', from } });
  });

  it('serves the manifest under the rules of its link: 400, 403, 404, 410, rate limit, cleanup', async () => {
    const { id, csvLink, jsonLink } = await exported(app, { actor: 'u-1' });
    await fetchBytes(app, csvLink.replace('token=', 'token=x')).expect(403);
    await fetchBytes(app, `${jsonLink.replace('token=', 'token=x')}`).expect(403);
    await fetchBytes(app, `${csvLink}&file=other`).expect(400);
    // Gone from the storage: the manifest is 404, the CSV is still served.
    unlinkSync(join(storageDir, `${id}.manifest.json`));
    const gone = await fetchBytes(app, jsonLink).expect(404);
    expect(JSON.parse(gone.body.toString()).errors[0].status).toBe('404');

    const next = await exported(app, { actor: 'u-2' });
    expect(allFiles(storageDir)).toEqual(
      expect.arrayContaining([`${next.id}.csv`, `${next.id}.manifest.json`]),
    );
    clock.advance(24 * HOUR);
    const expired = await fetchBytes(app, next.jsonLink).expect(410);
    expect(JSON.parse(expired.body.toString()).errors[0].code).toBe('link_expired');
    await fetchBytes(app, next.csvLink).expect(410);
    await app.get(AuditExportService).cleanup(clock.now());
    expect(allFiles(storageDir).filter((n) => n.startsWith(next.id))).toEqual([]);
    clock.advance(-24 * HOUR);

    // One limit per link for both files: 4 downloads, then 429 whichever file is asked for.
    const limited = await exported(app, { actor: 'u-3' });
    await fetchBytes(app, limited.csvLink).expect(200);
    const fourth = await fetchBytes(app, limited.jsonLink).expect(200);
    expect(fourth.headers['content-type']).toBe('application/json');
    await fetchBytes(app, limited.jsonLink).expect(429);
    await fetchBytes(app, limited.csvLink).expect(429);
  });

  it('records a manifest download as audit_log_downloaded of that file', async () => {
    const { id } = await exported(app, { actor: 'u-4' });
    await app.get(AuditService).flush();
    const rows: { metadata: string }[] = await ds.query(
      `SELECT metadata FROM auditkit_events WHERE org_id = 'acme' AND action = 'audit_log_downloaded' ORDER BY seq`,
    );
    const mine = rows.map((r) => JSON.parse(r.metadata)).filter((m) => m.exportId === id);
    expect(mine).toEqual([{ exportId: id }, { exportId: id, file: 'manifest' }]);
  });

  it('writes an unsigned manifest without a key, which the CLI reports and refuses', async () => {
    const unsignedApp = await createApp(undefined, { storageDir: dir('unsigned-store') });
    const { csv, manifest } = await exported(unsignedApp, {}, 'globex');
    const signed = JSON.parse((manifest.body as Buffer).toString('utf8')) as SignedExportManifest;
    expect(signed).toMatchObject({ org: 'globex', keyId: '', signature: '' });
    expect(signed.sha256).toBe(hash('sha256', csv.body as Buffer, 'hex'));
    const d = auditorDir({
      'export.csv': csv.body as Buffer,
      'manifest.json': manifest.body as Buffer,
      'key.pem': publicPem(),
    });
    const r = verifyExport(d, ['export.csv', 'manifest.json', '--public-key', 'key.pem']);
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toContain('- the manifest is unsigned');
    // Only that: the file does match what the unsigned manifest says.
    expect(r.err.trim().split('\n')).toHaveLength(2);
  });

  it('keeps a manifest that fits the file when two workers race on one export', async () => {
    const raceDir = dir('race-store');
    const storages = [0, 1].map(
      () => new GatedStorage(new LocalExportStorage({ directory: raceDir }), raceDir),
    );
    // Nobody takes jobs from this queue: the two "workers" run the export by hand, both at once.
    const queue = uniqueQueue('manifest-race');
    const workers: INestApplication[] = [];
    for (const storage of storages) {
      workers.push(
        await createApp(key.pem, { storage, worker: false, redisUrl: REDIS_URL, queue, clock }),
      );
    }
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const id = await requestExport(workers[0], {});
      const gates = storages.map((s) => s.holdNextWrite(4096));
      const runs: Promise<void>[] = [];
      for (const [i, w] of workers.entries()) {
        runs.push(w.get(AuditExportService).run(id));
        await gates[i].reached;
      }
      // Both CSVs are half written; the first to finish writes its manifest and wins "ready",
      // the other then replaces the CSV and the manifest with its own.
      const [first, second] = order;
      gates[first].release();
      await runs[first];
      clock.advance(1000);
      gates[second].release();
      await Promise.all(runs);

      expect(smtp.forExport(id)).toHaveLength(1);
      const file = readFileSync(join(raceDir, `${id}.csv`));
      const manifest = JSON.parse(readFileSync(join(raceDir, `${id}.manifest.json`), 'utf8'));
      expect(verifyExportFile(file, manifest, key.publicKey, keyId)).toEqual({
        ok: true,
        problems: [],
      });
    }
  });

  it('leaves no file behind when the manifest cannot be stored and the export gives up', async () => {
    const failDir = dir('no-manifest-store');
    const failing = await createApp(key.pem, {
      storage: new NoManifestStorage(new LocalExportStorage({ directory: failDir })),
      queue: { attempts: 2 },
    });
    const id = await requestExport(failing, { actor: 'u-5' });
    const mail = await mailFor(id);
    expect(mail.subject).toBe(EXPORT_FAILED_SUBJECT);
    expect(await failing.get(AuditExportService).get('acme', id)).toMatchObject({
      status: 'failed',
      attempts: 2,
    });
    // Each attempt stored the CSV before its manifest failed; a failed export keeps neither.
    expect(allFiles(failDir)).toEqual([]);
  });
});
