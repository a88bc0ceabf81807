/**
 * Ingest benchmark against MariaDB/MySQL (`npm run bench:ingest`). It creates a database of its
 * own, drops it at the end, and prints four ratios measured in this one run:
 *
 *  (a) AuditService.record with 64 concurrent callers vs one TypeORM save() per event (the
 *      event entity and its term rows in one transaction, sequential)          goal >= 10x
 *  (b) the same vs the raw ceiling: the same rows as 500-row multi-row INSERTs through mysql2,
 *      one transaction per batch                                                goal >= 60 %
 *  (c) a decorated Nest route vs the same route undecorated, autocannon, 64 connections, 10 s
 *                                                                               goal >= 50 %
 *  (d) record() with 64 callers with the hash chain and signed checkpoints on (tamperEvidence,
 *      an Ed25519 signing key, a checkpoint every 1000 events per org) vs the same with
 *      tamperEvidence off; same orgs and events, rounds alternated              goal >= 85 %
 *  (e) HTTP ingest through the admin app (apps/admin, a signed events:write token) vs record()
 *      with 64 callers measured just before it: POST events one event per request (autocannon,
 *      64 connections), and POST events/bulk with 100 and with 1,000 events per request
 *      (autocannon, 8 connections)                             goal: bulk >= 60 % of record()
 *
 * The summary goes to bench/.results/ingest.json. Server: AUDITKIT_BENCH_MYSQL_URL, else
 * AUDITKIT_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306/test (only host and credentials are
 * used). BENCH_QUICK=1 shortens every phase (a smoke run, not a measurement).
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Body, Controller, INestApplication, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { Connection, createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import {
  Audit,
  AuditEventEntity,
  AuditEventInput,
  AuditEventTermEntity,
  AuditLogModule,
  AuditService,
  auditDataSourceOptions,
  auditLogEntities,
  createAuditLog,
  runAuditLogMigrations,
} from '@auditkit/nestjs';
// The baseline and the ceiling write rows exactly as the store does: its layout and its planner.
import {
  EVENT_PROPERTIES,
  EVENTS_TABLE,
  ORG_STATE_TABLE,
  TERM_COLUMNS,
  TERMS_LAYOUT,
  TERMS_TABLE,
} from '../libs/audit-log/src/store/event-table';
import { PreparedEvent } from '../libs/audit-log/src/store/event-row';
import { ApiExceptionFilter, signAuditToken } from '@auditkit/nestjs/admin';
import { AdminAppModule } from '../apps/admin/src/admin-app.module';
import { loadConfig } from '../apps/admin/src/config';
import { BatchPlan, planBatch, StateRow } from '../libs/audit-log/src/store/writers/batch-plan';
import { insertEventsSql, insertTermsSql } from '../libs/audit-log/src/store/writers/batch-sql';

const SERVER =
  process.env.AUDITKIT_BENCH_MYSQL_URL ??
  process.env.AUDITKIT_TEST_MYSQL_URL ??
  'mysql://root@127.0.0.1:3306/test';
const QUICK = process.env.BENCH_QUICK === '1';

const CONCURRENCY = 64;
const ORGS = 16;
const RECORD_EVENTS = QUICK ? 3_000 : 30_000;
const RAW_EVENTS = RECORD_EVENTS;
const RAW_BATCH = 500;
const SAVE_SECONDS = QUICK ? 1 : 6;
const ROUNDS = QUICK ? 1 : 3;
const HTTP_SECONDS = QUICK ? 2 : 10;
const HTTP_WARMUP_SECONDS = QUICK ? 1 : 2;

const GOALS = {
  recordVsSave: 10,
  recordVsRaw: 0.6,
  decoratedVsPlain: 0.5,
  integrityOnVsOff: 0.85,
  bulkHttpVsRecord: 0.6,
};
const BULK_CONNECTIONS = 8;
const BULK_SIZES = [100, 1000];
const JWT_SECRET = 'auditkit-bench-secret-0123456789abcdef0123';
const CHECKPOINT_EVERY = 1000;

const TABLES = [EVENTS_TABLE, TERMS_TABLE, ORG_STATE_TABLE, 'auditkit_checkpoints'];

// ---------------------------------------------------------------------------------------------
// The events: 5 exact terms each (actor name and e-mail, the user's and the group's names, the
// site's name). Until the store's planner made the rows here, the baseline and the ceiling
// wrote 4, leaving out the site's name that the store writes.
const TERMS_PER_EVENT = 5;

function eventInput(i: number): AuditEventInput {
  const actor = i % 200;
  const user = (i * 7919) % 5000;
  return {
    orgId: `org-${i % ORGS}`,
    action: 'user_added_to_group',
    actor: {
      id: `u-${actor}`,
      type: 'user',
      name: `Admin ${actor}`,
      email: `admin${actor}@acme.test`,
    },
    targets: [
      { id: `u-${user}`, type: 'user', name: `User ${user}` },
      { id: `g-${i % 50}`, type: 'group', name: `group-${i % 50}` },
    ],
    site: { id: 's-1', name: 'acme.atlassian.test' },
    product: 'jira',
    location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench' },
    metadata: { reason: 'onboarding', ticket: `T-${i}` },
  };
}

/**
 * Rows exactly as the library stores them (ids from AuditService.prepare, seqs per org, the
 * format-1 chain), planned by the store's own planner in batches of `batchSize` events.
 */
function makeBatches(
  prepare: (input: AuditEventInput) => PreparedEvent,
  count: number,
  batchSize: number,
): BatchPlan[] {
  const batches: BatchPlan[] = [];
  let states: StateRow[] = [];
  for (let i = 0; i < count; i += batchSize) {
    const events = Array.from({ length: Math.min(batchSize, count - i) }, (_, k) =>
      prepare(eventInput(i + k)),
    );
    const plan = planBatch(events, states, true);
    if (plan.termRows.length !== events.length * TERMS_PER_EVENT)
      throw new Error(`bench events must carry ${TERMS_PER_EVENT} terms each`);
    batches.push(plan);
    states = plan.states.map(([org, s]) => ({
      org_id: org,
      last_seq: s.lastSeq,
      last_hash: s.lastHash,
    }));
  }
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Database plumbing

function serverOptions() {
  const u = new URL(SERVER);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
  };
}

async function admin<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
  const c = await createConnection(serverOptions()).catch((err: Error) => {
    throw new Error(
      `MariaDB at ${new URL(SERVER).host} does not answer (${err.message}); start it first`,
    );
  });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function truncate(ds: DataSource): Promise<void> {
  for (const t of TABLES) await ds.query(`TRUNCATE TABLE ${t}`);
}

async function count(ds: DataSource, table: string): Promise<number> {
  return Number((await ds.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
}

const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// (a) AuditService.record, 64 concurrent callers

async function measureRecord(url: string, events: number): Promise<number> {
  const log = await createAuditLog({ databaseUrl: url });
  try {
    // Warm the JIT and the pool; not measured.
    await runCallers(log.service.record.bind(log.service), 2_000, 1_000_000);
    await log.service.flush();
    const started = now();
    await runCallers(log.service.record.bind(log.service), events, 0);
    return events / ((now() - started) / 1000);
  } finally {
    await log.close();
  }
}

async function runCallers(
  record: (i: AuditEventInput) => Promise<unknown>,
  events: number,
  offset: number,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < events) {
        const i = next++;
        await record(eventInput(offset + i));
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// (d) record() with the chain and signed checkpoints on, vs tamperEvidence off

async function measureIntegrity(
  url: string,
  tamperEvidence: boolean,
  signingKey: string,
  events: number,
): Promise<number> {
  // A Nest app as a host would have it: with the scheduler, so that checkpoints are taken every
  // N events (IntegrityService.noteCommitted) and on the minute, not only on demand.
  @Module({
    imports: [
      ScheduleModule.forRoot(),
      AuditLogModule.forRoot({
        databaseUrl: url,
        globalInterceptor: false,
        tamperEvidence,
        integrity: { signingKey, checkpointEveryEvents: CHECKPOINT_EVERY },
      }),
    ],
  })
  class IntegrityBenchModule {}
  const app = await NestFactory.createApplicationContext(IntegrityBenchModule, {
    logger: ['error', 'warn'],
  });
  try {
    const service = app.get(AuditService);
    const record = service.record.bind(service);
    await runCallers(record, 2_000, 1_000_000);
    await service.flush();
    const started = now();
    await runCallers(record, events, 0);
    return events / ((now() - started) / 1000);
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Baseline: one TypeORM save() per event (event entity + its term entities), sequential

async function measureSave(
  ds: DataSource,
  plan: BatchPlan,
  seconds: number,
): Promise<{ rate: number; events: number }> {
  const termProperties = Object.keys(TERMS_LAYOUT.columns);
  const eventIdAt = TERM_COLUMNS.indexOf('event_id');
  const termsOf = new Map<unknown, AuditEventTermEntity[]>();
  for (const t of plan.termRows) {
    const term = Object.assign(
      new AuditEventTermEntity(),
      Object.fromEntries(termProperties.map((p, i) => [p, t[i]])),
    );
    termsOf.set(t[eventIdAt], [...(termsOf.get(t[eventIdAt]) ?? []), term]);
  }
  const entities = plan.eventRows.map((row) => {
    const e = Object.assign(
      new AuditEventEntity(),
      Object.fromEntries(EVENT_PROPERTIES.map((p, i) => [p, row[i]])),
    );
    return { e, terms: termsOf.get(e.id)! };
  });
  const deadline = now() + seconds * 1000;
  const started = now();
  let n = 0;
  while (n < entities.length && now() < deadline) {
    const { e, terms: t } = entities[n++];
    // One transaction per event, as a careful hand-written version would do it.
    await ds.transaction(async (m) => {
      await m.getRepository(AuditEventEntity).save(e);
      await m.getRepository(AuditEventTermEntity).save(t);
    });
  }
  return { rate: n / ((now() - started) / 1000), events: n };
}

// ---------------------------------------------------------------------------------------------
// (b) Raw ceiling: 500-row multi-row INSERTs through mysql2, one transaction per batch

async function measureRaw(database: string, batches: BatchPlan[]): Promise<number> {
  const c = await createConnection({
    ...serverOptions(),
    database,
    charset: 'utf8mb4_bin',
    supportBigNumbers: true,
  });
  try {
    let events = 0;
    const started = now();
    for (const batch of batches) {
      await c.query('BEGIN');
      await c.query(insertEventsSql(batch.eventRows.length), batch.eventRows.flat());
      for (let j = 0; j < batch.termRows.length; j += RAW_BATCH) {
        const chunk = batch.termRows.slice(j, j + RAW_BATCH);
        await c.query(insertTermsSql(chunk.length), chunk.flat());
      }
      await c.query('COMMIT');
      events += batch.eventRows.length;
    }
    return events / ((now() - started) / 1000);
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// (c) A decorated Nest route vs the same route undecorated, under autocannon

interface MemberBody {
  userId: string;
  userName: string;
}

@Controller('orgs/:orgId')
class MembersController {
  @Post('plain/:groupId/members')
  plain(@Param('groupId') groupId: string, @Body() body: MemberBody) {
    return { ok: true, groupId, userId: body.userId };
  }

  @Post('audited/:groupId/members')
  @Audit('user_added_to_group', {
    targets: ({ params, body }) => [
      { id: body.userId, type: 'user', name: body.userName },
      { id: params.groupId, type: 'group', name: params.groupId },
    ],
  })
  audited(@Param('groupId') groupId: string, @Body() body: MemberBody) {
    return { ok: true, groupId, userId: body.userId };
  }
}

interface AutocannonResult {
  duration: number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

// Runs in a process of its own, so the load generator does not share the server's event loop.
// Each request names another user (autocannon's -I id replacement miscounts Content-Length).
const AUTOCANNON_SCRIPT = `
const [modulePath, url, connections, duration] = process.argv.slice(1);
let n = 0;
require(modulePath)({
  url, connections: Number(connections), duration: Number(duration),
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: 'u-' + ++n, userName: 'User ' + n }) }),
  }],
}, (err, result) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify(result));
});
`;

function autocannon(url: string, seconds: number): Promise<AutocannonResult> {
  const args = [
    '-e',
    AUTOCANNON_SCRIPT,
    require.resolve('autocannon'),
    url,
    String(CONCURRENCY),
    String(seconds),
  ];
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as AutocannonResult);
    }),
  );
}

/** Two halves of a run as one: requests/s over the whole time, the worse latency of the two. */
function combine(runs: AutocannonResult[]) {
  const total = runs.reduce((n, r) => n + r.requests.total, 0);
  const seconds = runs.reduce((n, r) => n + r.duration, 0);
  return {
    requestsPerSecond: total / seconds,
    total,
    p50: Math.max(...runs.map((r) => r.latency.p50)),
    p99: Math.max(...runs.map((r) => r.latency.p99)),
  };
}

async function measureHttp(url: string, ds: DataSource) {
  @Module({
    imports: [AuditLogModule.forRoot({ databaseUrl: url })],
    controllers: [MembersController],
  })
  class BenchModule {}

  // Errors only: autocannon drops its connections mid-request when time is up, which Nest logs.
  const app: INestApplication = await NestFactory.create(BenchModule, { logger: false });
  app.use((req: any, _res: unknown, next: () => void) => {
    req.user = { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' };
    next();
  });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}/orgs/acme`;
  try {
    const warm = (path: string) => autocannon(`${base}/${path}/g-1/members`, HTTP_WARMUP_SECONDS);
    const run = async (path: string) => {
      const r = await autocannon(`${base}/${path}/g-1/members`, HTTP_SECONDS / 2);
      if (r.non2xx || r.errors || r.timeouts || r.requests.total === 0) {
        throw new Error(`${path}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      }
      return r;
    };
    // Alternated in halves, so a change in the machine's background load hits both alike.
    await warm('plain');
    await warm('audited');
    const before = await count(ds, 'auditkit_events');
    const plain: AutocannonResult[] = [];
    const audited: AutocannonResult[] = [];
    for (let half = 0; half < 2; half++) {
      plain.push(await run('plain'));
      audited.push(await run('audited'));
    }
    const stored = (await count(ds, 'auditkit_events')) - before;
    const sent = audited.reduce((n, r) => n + r.requests.total, 0);
    if (stored < sent)
      throw new Error(`${sent} audited requests answered but only ${stored} events stored`);
    return { plain: combine(plain), audited: combine(audited), stored };
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// (e) HTTP ingest through the admin app: one event per request, and bulk

// Each request posts to the next of the orgs; bodies are made once per org (and batch size), so
// that the load generator spends its share of the two cores sending, not building JSON.
const INGEST_SCRIPT = `
const [modulePath, base, connections, duration, token, batch, orgs, bodies] = process.argv.slice(1);
const texts = JSON.parse(require('fs').readFileSync(bodies, 'utf8'));
let n = 0;
require(modulePath)({
  url: base, connections: Number(connections), duration: Number(duration), timeout: 60,
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    setupRequest: (req) => {
      const org = n++ % Number(orgs);
      return { ...req, path: '/admin/v1/orgs/org-' + org + (batch === '1' ? '/events' : '/events/bulk'), body: texts[org] };
    },
  }],
}, (err, result) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify(result));
});
`;

function ingestCannon(
  base: string,
  token: string,
  batch: number,
  connections: number,
  seconds: number,
): Promise<AutocannonResult> {
  const bodies = Array.from({ length: ORGS }, (_, org) => {
    const events = Array.from({ length: batch }, (_, k) => {
      const { orgId: _orgId, ...event } = eventInput(org + ORGS * k);
      return event;
    });
    return JSON.stringify(batch === 1 ? events[0] : { events });
  });
  // A file, not an argument: 16 bodies of 1,000 events are beyond what argv can carry.
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-bench-bodies-')), 'bodies.json');
  writeFileSync(file, JSON.stringify(bodies));
  const args = [
    '-e',
    INGEST_SCRIPT,
    require.resolve('autocannon'),
    base,
    String(connections),
    String(seconds),
    token,
    String(batch),
    String(ORGS),
    file,
  ];
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      rmSync(join(file, '..'), { recursive: true, force: true });
      if (err) return reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as AutocannonResult);
    }),
  );
}

interface IngestFigure {
  batch: number;
  connections: number;
  eventsPerSecond: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

async function measureHttpIngest(url: string, ds: DataSource) {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-bench-'));
  const config = loadConfig({
    AUDITKIT_DATA_DIR: dataDir,
    DATABASE_URL: url,
    AUDITKIT_JWT_SECRET: JWT_SECRET,
    // The rate limit is not what is measured.
    AUDITKIT_INGEST_RATE_LIMIT: 'off',
  });
  const app = await NestFactory.create(AdminAppModule.forConfig(config), {
    bodyParser: false,
    logger: false,
  });
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const orgs = Object.fromEntries(Array.from({ length: ORGS }, (_, i) => [`org-${i}`, ['member']]));
  const token = await signAuditToken(
    { sub: 'svc-bench', orgs, scope: 'events:write' },
    JWT_SECRET,
    3600,
  );
  try {
    const figures: IngestFigure[] = [];
    const runs: [number, number][] = [
      [1, CONCURRENCY],
      ...BULK_SIZES.map((b): [number, number] => [b, BULK_CONNECTIONS]),
    ];
    for (const [batch, connections] of runs) {
      await ingestCannon(base, token, batch, connections, HTTP_WARMUP_SECONDS);
      const before = await count(ds, 'auditkit_events');
      const r = await ingestCannon(base, token, batch, connections, HTTP_SECONDS);
      // autocannon's cut-off requests may still be committing: the count is what was answered.
      if (r.non2xx || r.errors || r.timeouts)
        throw new Error(
          `HTTP ingest x${batch}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
        );
      const stored = (await count(ds, 'auditkit_events')) - before;
      if (stored < r.requests.total * batch)
        throw new Error(
          `HTTP ingest x${batch}: ${r.requests.total * batch} answered, ${stored} stored`,
        );
      figures.push({
        batch,
        connections,
        eventsPerSecond: (r.requests.total * batch) / r.duration,
        requestsPerSecond: r.requests.total / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
      });
    }
    return figures;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const database = `auditkit_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  const dbUrl = url.toString();
  const started = now();
  await admin((c) =>
    c.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`),
  );
  const ds = new DataSource({ ...auditDataSourceOptions(dbUrl), entities: auditLogEntities });
  try {
    await ds.initialize();
    await runAuditLogMigrations(ds);
    const [{ version }] = await ds.query('SELECT VERSION() AS version');
    console.log(
      `AuditKit ingest bench — ${version}, ${CONCURRENCY} callers, ${ORGS} orgs, ${TERMS_PER_EVENT} term rows per event; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
    );

    // Rows for the baseline and the raw ceiling, made with the library's own validation and ids.
    const prepareLog = await createAuditLog({ databaseUrl: dbUrl, migrationsRun: false });
    const prepare = prepareLog.service.prepare.bind(prepareLog.service);
    const rawBatches = makeBatches(prepare, RAW_EVENTS, RAW_BATCH);
    const [saveRows] = makeBatches(prepare, 20_000, 20_000);
    await prepareLog.close();

    const record: number[] = [];
    const raw: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await truncate(ds);
      record.push(await measureRecord(dbUrl, RECORD_EVENTS));
      const stored = await count(ds, 'auditkit_events');
      if (stored !== RECORD_EVENTS + 2_000) throw new Error(`record stored ${stored} events`);
      await truncate(ds);
      raw.push(await measureRaw(database, rawBatches));
      console.log(
        `  round ${round}: record ${fmt(record[round - 1])} events/s, raw ${fmt(raw[round - 1])} events/s`,
      );
    }
    // (d): alternated, on first then off, so that a drift in the machine's load hits both.
    const signingKey = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const integrityOn: number[] = [];
    const integrityOff: number[] = [];
    const checkpoints: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const on of [true, false]) {
        await truncate(ds);
        const rate = await measureIntegrity(dbUrl, on, signingKey, RECORD_EVENTS);
        const stored = await count(ds, 'auditkit_events');
        if (stored !== RECORD_EVENTS + 2_000) throw new Error(`(d) stored ${stored} events`);
        const [{ n: unhashed }] = await ds.query(
          'SELECT COUNT(*) AS n FROM auditkit_events WHERE hash IS NULL',
        );
        if ((Number(unhashed) === 0) !== on)
          throw new Error(`(d) tamperEvidence ${on}, yet ${unhashed} events have no hash`);
        if (on) {
          integrityOn.push(rate);
          // Every N events (noteCommitted); the minute schedule signs 'upgrade' ones first.
          const [{ n }] = await ds.query(
            "SELECT COUNT(*) AS n FROM auditkit_checkpoints WHERE kind = 'scheduled'",
          );
          checkpoints.push(Number(n));
        } else integrityOff.push(rate);
      }
      console.log(
        `  round ${round}: chain + checkpoints ${fmt(integrityOn[round - 1])} events/s (${checkpoints[round - 1]} checkpoints every ${CHECKPOINT_EVERY} events), tamperEvidence off ${fmt(integrityOff[round - 1])} events/s`,
      );
    }
    await truncate(ds);
    const save = await measureSave(ds, saveRows, SAVE_SECONDS);
    if ((await count(ds, 'auditkit_event_terms')) !== save.events * TERMS_PER_EVENT)
      throw new Error('save() baseline lost term rows');
    await truncate(ds);
    const http = await measureHttp(dbUrl, ds);
    // (e): record() measured again just before, so that both see the same load on the machine.
    await truncate(ds);
    const ingestRecord = await measureRecord(dbUrl, RECORD_EVENTS);
    await truncate(ds);
    const ingest = await measureHttpIngest(dbUrl, ds);
    const single = ingest.find((f) => f.batch === 1)!;
    const bestBulk = ingest
      .filter((f) => f.batch > 1)
      .sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0];

    const recordRate = median(record);
    const rawRate = median(raw);
    const onRate = median(integrityOn);
    const offRate = median(integrityOff);
    const ratios = {
      recordVsSave: recordRate / save.rate,
      recordVsRaw: recordRate / rawRate,
      decoratedVsPlain: http.audited.requestsPerSecond / http.plain.requestsPerSecond,
      integrityOnVsOff: onRate / offRate,
      bulkHttpVsRecord: bestBulk.eventsPerSecond / ingestRecord,
      singleHttpVsRecord: single.eventsPerSecond / ingestRecord,
    };
    const verdict = (k: keyof typeof GOALS) => (ratios[k] >= GOALS[k] ? 'PASS' : 'FAIL');
    console.log('');
    console.log('events/s (median of rounds)');
    console.log(
      `  AuditService.record, ${CONCURRENCY} concurrent callers   ${fmt(recordRate).padStart(9)}   rounds: ${record.map(fmt).join(', ')}`,
    );
    console.log(
      `  TypeORM save() per event, sequential        ${fmt(save.rate).padStart(9)}   (${fmt(save.events)} events in ${SAVE_SECONDS} s)`,
    );
    console.log(
      `  raw 500-row INSERTs via mysql2 (ceiling)    ${fmt(rawRate).padStart(9)}   rounds: ${raw.map(fmt).join(', ')}`,
    );
    console.log(
      `  record, chain + signed checkpoints on        ${fmt(onRate).padStart(9)}   rounds: ${integrityOn.map(fmt).join(', ')}; checkpoints every ${CHECKPOINT_EVERY} events: ${checkpoints.join(', ')}`,
    );
    console.log(
      `  record, tamperEvidence off                  ${fmt(offRate).padStart(9)}   rounds: ${integrityOff.map(fmt).join(', ')}`,
    );
    console.log(`requests/s (autocannon, ${CONCURRENCY} connections, ${HTTP_SECONDS} s)`);
    console.log(
      `  undecorated route                           ${fmt(http.plain.requestsPerSecond).padStart(9)}   p50 ${http.plain.p50} ms, p99 ${http.plain.p99} ms`,
    );
    console.log(
      `  @Audit route                                ${fmt(http.audited.requestsPerSecond).padStart(9)}   p50 ${http.audited.p50} ms, p99 ${http.audited.p99} ms, ${fmt(http.stored)} events stored`,
    );
    console.log(`events/s over HTTP (admin app, signed token, ${HTTP_SECONDS} s each)`);
    console.log(
      `  record() just before, ${CONCURRENCY} callers              ${fmt(ingestRecord).padStart(9)}`,
    );
    for (const f of ingest) {
      const what =
        f.batch === 1 ? 'POST events, 1 per request' : `POST events/bulk, ${f.batch} per request`;
      console.log(
        `  ${what.padEnd(36)} ${fmt(f.eventsPerSecond).padStart(9)}   ${fmt(f.requestsPerSecond)} requests/s, ${f.connections} connections, p50 ${f.p50} ms, p99 ${f.p99} ms`,
      );
    }
    console.log('');
    console.log(
      `(a) record vs save()         ${ratios.recordVsSave.toFixed(1)}x   goal >= ${GOALS.recordVsSave}x   ${verdict('recordVsSave')}`,
    );
    console.log(
      `(b) record vs raw ceiling    ${(ratios.recordVsRaw * 100).toFixed(0)} %   goal >= ${GOALS.recordVsRaw * 100} %   ${verdict('recordVsRaw')}`,
    );
    console.log(
      `(c) @Audit vs plain route    ${(ratios.decoratedVsPlain * 100).toFixed(0)} %   goal >= ${GOALS.decoratedVsPlain * 100} %   ${verdict('decoratedVsPlain')}`,
    );
    console.log(
      `(d) integrity on vs off      ${(ratios.integrityOnVsOff * 100).toFixed(0)} %   goal >= ${GOALS.integrityOnVsOff * 100} %   ${verdict('integrityOnVsOff')}`,
    );
    console.log(
      `(e) HTTP bulk vs record()    ${(ratios.bulkHttpVsRecord * 100).toFixed(0)} %   goal >= ${GOALS.bulkHttpVsRecord * 100} %   ${verdict('bulkHttpVsRecord')}   (${bestBulk.batch} per request)`,
    );
    console.log(
      `    HTTP single vs record()  ${(ratios.singleHttpVsRecord * 100).toFixed(0)} %   (no goal)`,
    );
    if (RECORD_EVENTS / ORGS <= CHECKPOINT_EVERY)
      console.log(
        `    too few events per org in this run for a checkpoint every ${CHECKPOINT_EVERY}`,
      );
    else if (checkpoints.every((n) => n === 0))
      console.log(
        '    no checkpoint was taken every N events during (d): IntegrityService.noteCommitted is not called from the write path',
      );

    const summary = {
      at: new Date().toISOString(),
      server: version,
      quick: QUICK,
      concurrency: CONCURRENCY,
      orgs: ORGS,
      eventsPerSecond: {
        record: recordRate,
        save: save.rate,
        raw: rawRate,
        recordRounds: record,
        rawRounds: raw,
        integrityOn: onRate,
        integrityOff: offRate,
        integrityOnRounds: integrityOn,
        integrityOffRounds: integrityOff,
        checkpointsSignedPerOnRound: checkpoints,
      },
      requestsPerSecond: {
        plain: http.plain,
        audited: http.audited,
        auditedEventsStored: http.stored,
      },
      httpIngest: { recordJustBefore: ingestRecord, figures: ingest },
      loadAverage: loadavg(),
      ratios,
      goals: GOALS,
      pass: {
        recordVsSave: verdict('recordVsSave') === 'PASS',
        recordVsRaw: verdict('recordVsRaw') === 'PASS',
        decoratedVsPlain: verdict('decoratedVsPlain') === 'PASS',
        integrityOnVsOff: verdict('integrityOnVsOff') === 'PASS',
        bulkHttpVsRecord: verdict('bulkHttpVsRecord') === 'PASS',
      },
      seconds: (now() - started) / 1000,
    };
    const dir = join(__dirname, '.results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ingest.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
    );
    console.log(`\nwrote bench/.results/ingest.json (${summary.seconds.toFixed(0)} s)`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database}`));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
