/**
 * Verification benchmark against MariaDB/MySQL (`npm run bench:verify`). It prints, measured in
 * this one run:
 *
 *  (a) the rate at which an org of 1M events is verified (every hash recomputed, every link and
 *      checkpoint checked), beside the rate at which the same rows are merely read in the same
 *      pages (the floor verification cannot beat)                         goal >= 100k events/s
 *  (b) the p99 latency of record() (8 closed-loop callers on another org) while a verification
 *      runs, against the same with none                                   goal <= 1.5x
 *
 * The 1M-event database (`auditkit_bench_verify_1000000`) is loaded once through record() and
 * kept for the next run; BENCH_DROP=1 drops it at the end. BENCH_QUICK=1 uses 50k events.
 * Server: AUDITKIT_BENCH_MYSQL_URL, else AUDITKIT_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import {
  auditDataSourceOptions,
  AuditEventInput,
  createAuditLog,
  StandaloneAuditLog,
  verifyEventChain,
} from '@auditkit/nestjs';
import { prng } from '../apps/example-host/src/demo-data';

const SERVER =
  process.env.AUDITKIT_BENCH_MYSQL_URL ??
  process.env.AUDITKIT_TEST_MYSQL_URL ??
  'mysql://root@127.0.0.1:3306/test';
const QUICK = process.env.BENCH_QUICK === '1';
const DROP = process.env.BENCH_DROP === '1';
const EVENTS = QUICK ? 50_000 : 1_000_000;
const ORG = 'big';
const LOAD_CALLERS = 64;
const PROBE_CALLERS = 8;
const PROBE_SECONDS = QUICK ? 3 : 10;
const PAGE = 5000;
const GOALS = { eventsPerSecond: 100_000, p99Ratio: 1.5 };

function event(orgId: string, i: number, rand: () => number): AuditEventInput {
  const user = Math.floor(rand() * 5000);
  return {
    orgId,
    action: i % 3 === 0 ? 'user_added_to_group' : 'group_created',
    actor: { id: `u-${user}`, name: `User ${user}`, email: `user${user}@acme.test` },
    targets:
      i % 3 === 0
        ? [
            {
              id: `u-${i % 977}`,
              type: 'user',
              name: `Member ${i % 977}`,
              email: `m${i % 977}@acme.test`,
            },
            { id: `g-${i % 89}`, type: 'group', name: `group-${i % 89}` },
          ]
        : [{ id: `g-${i}`, type: 'group', name: `group-${i}` }],
    location: { ip: `203.0.113.${i % 250}`, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench' },
    metadata: { n: i, reason: 'bench' },
  };
}

/** A connection to the server itself, for creating and dropping the bench database. */
function serverConnection() {
  const server = new URL(SERVER);
  return createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    password: decodeURIComponent(server.password),
  });
}

async function ensureDatabase(name: string): Promise<string> {
  const c = await serverConnection();
  await c.query(`CREATE DATABASE IF NOT EXISTS ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await c.end();
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const c = await serverConnection();
  await c.query(`DROP DATABASE IF EXISTS ${name}`);
  await c.end();
}

async function load(log: StandaloneAuditLog, ds: DataSource): Promise<void> {
  const [row] = await ds.query('SELECT last_seq FROM auditkit_org_state WHERE org_id = ?', [ORG]);
  let next = row ? Number(row.last_seq) : 0;
  if (next >= EVENTS) return;
  console.log(`loading ${EVENTS - next} events into ${ORG} through record() (kept for later runs)`);
  const rand = prng(next + 1);
  const started = Date.now();
  await Promise.all(
    Array.from({ length: LOAD_CALLERS }, async () => {
      while (next < EVENTS) {
        const i = next++;
        await log.service.record(event(ORG, i, rand));
      }
    }),
  );
  console.log(`loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Reads the org's rows in the verifier's pages (windows of 5000 seqs, every column a hash
 * covers) and does nothing with them: the floor verification cannot beat.
 */
async function readOnly(ds: DataSource, head: number): Promise<number> {
  let rows = 0;
  for (let lo = 0; lo < head; lo += PAGE) {
    const page = await ds.query(
      'SELECT * FROM auditkit_events WHERE org_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT 5000',
      [ORG, lo, Math.min(lo + PAGE, head)],
    );
    rows += page.length;
  }
  return rows;
}

async function probe(log: StandaloneAuditLog, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  const rand = prng(7);
  let i = 0;
  await Promise.all(
    Array.from({ length: PROBE_CALLERS }, async () => {
      while (Date.now() < until) {
        const t = process.hrtime.bigint();
        await log.service.record(event('probe', i++, rand));
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const p99 = (sorted: number[]) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];

async function main(): Promise<void> {
  const name = `auditkit_bench_verify_${EVENTS}`;
  const url = await ensureDatabase(name);
  const log = await createAuditLog({ databaseUrl: url, integrity: { schedule: false } });
  const ds = await new DataSource(auditDataSourceOptions(url)).initialize();
  try {
    await load(log, ds);

    let t = Date.now();
    const read = await readOnly(ds, EVENTS);
    const readSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    const result = await verifyEventChain(ds, ORG);
    const verifySeconds = (Date.now() - t) / 1000;
    if (!result.ok) throw new Error(`the bench org does not verify: ${result.reason}`);
    const rate = result.checked / verifySeconds;
    const readRate = read / readSeconds;

    const idle = await probe(log, PROBE_SECONDS);
    let verifying = true;
    let runs = 0;
    const background = (async () => {
      while (verifying) {
        await verifyEventChain(ds, ORG);
        runs += 1;
      }
    })();
    const busy = await probe(log, PROBE_SECONDS);
    verifying = false;
    await background;

    const summary = {
      events: result.checked,
      verifySeconds,
      eventsPerSecond: Math.round(rate),
      readOnlyEventsPerSecond: Math.round(readRate),
      verifyVsRead: rate / readRate,
      recordP99IdleMs: p99(idle),
      recordP99VerifyingMs: p99(busy),
      p99Ratio: p99(busy) / p99(idle),
      verificationsDuringProbe: runs,
    };
    const ok = (pass: boolean) => (pass ? 'ok' : 'MISS');
    console.log(
      `(a) verified ${summary.events} events in ${verifySeconds.toFixed(2)} s: ${summary.eventsPerSecond} events/s ` +
        `(reading alone: ${summary.readOnlyEventsPerSecond}/s, verify/read ${(summary.verifyVsRead * 100).toFixed(0)}%) ` +
        `goal >= ${GOALS.eventsPerSecond}/s ${ok(rate >= GOALS.eventsPerSecond)}`,
    );
    console.log(
      `(b) record() p99 ${summary.recordP99IdleMs.toFixed(1)} ms idle, ${summary.recordP99VerifyingMs.toFixed(1)} ms while verifying ` +
        `(${runs} verification runs): ${summary.p99Ratio.toFixed(2)}x goal <= ${GOALS.p99Ratio}x ${ok(summary.p99Ratio <= GOALS.p99Ratio)}`,
    );
    mkdirSync(join(__dirname, '.results'), { recursive: true });
    writeFileSync(join(__dirname, '.results', 'verify.json'), JSON.stringify(summary, null, 2));
  } finally {
    await ds.destroy();
    await log.close();
    if (DROP) await dropDatabase(name);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
