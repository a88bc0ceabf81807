/**
 * Search bench: loads a large, skewed audit log into MariaDB (and a smaller one into SQLite),
 * then times the admin API's query shapes through the real EventQueryService and again over
 * HTTP through the admin module, prints the plan of each (MariaDB: ANALYZE, i.e. EXPLAIN plus
 * the rows really read; SQLite: EXPLAIN QUERY PLAN), and times the deep page written the way
 * each optimizer handles badly, as a control. Goals: every first page p95 <= 25 ms, the deep
 * page within 1.5x of the newest page. Each query over HTTP is timed right after the same query
 * inside the process, so both meet the same load; through HTTP the goals are p95 <= 8 ms for the
 * newest 50-event page and p95 <= 3 ms for the newest event alone (limit=1). The activity
 * histogram (GET events-histogram) is timed the same way over 30-day ranges of the big org, by
 * hour and by day, from the hourly rollup (goal p95 <= 50 ms) and, as its baseline in the same
 * run, grouped from the events themselves, as other filters do. The load average is printed with
 * each table: on a shared machine it explains most of the spread. Exits non-zero when a goal is
 * missed.
 *
 *   npm run bench:search
 *
 * Environment:
 *   BENCH_EVENTS=5000000        events loaded into MariaDB (one org holds 24% of them)
 *   BENCH_ORGS=1000             organizations
 *   BENCH_DAYS=200              days the events are spread over
 *   BENCH_SQLITE_EVENTS=1000000 events loaded into SQLite (0 skips SQLite)
 *   BENCH_QUERIES=1000          timed (warm) queries per shape (a p95 of 200 was their 10th
 *                               slowest, which a few scheduler hiccups on 2 cores decided)
 *   BENCH_HTTP_WARMUP=500       requests per shape sent to the admin app before timing
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306
 *   BENCH_SQLITE_DIR=<os tmpdir>
 *   BENCH_FRESH=1               reload even when a complete database of the same scale exists
 *   BENCH_DROP=1                drop the databases at the end (by default they are kept and
 *                               reused by the next run of the same scale)
 *   BENCH_LOAD_CHUNK=250000     events per LOAD DATA statement
 *   BENCH_ONLY=                 time only the shapes whose name contains one of these
 *                               comma-separated words (e.g. "newest"); the goals of the
 *                               others are not checked
 */
import 'reflect-metadata';
import Database from 'better-sqlite3';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createConnection, Connection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import {
  ActionCatalog,
  AuditEvent,
  AuditLogModule,
  auditDataSourceOptions,
  runAuditLogMigrations,
} from '@auditkit/nestjs';
import {
  ApiExceptionFilter,
  AuditAdminModule,
  EventFilters,
  EventQueryService,
  signAuditToken,
} from '@auditkit/nestjs/admin';
// The loader writes rows exactly as the store does, so it uses the store's own row helpers.
import { hashTerm, normalizeTerm } from '../libs/audit-log/src/common/terms';
import {
  eventRowValues,
  eventTerms,
  PreparedEvent,
  UNCHAINED,
} from '../libs/audit-log/src/store/event-row';
import {
  EVENT_COLUMNS,
  EVENTS_TABLE,
  ORG_STATE_TABLE,
  ROLLUP_TABLE,
  TERM_COLUMNS,
  TERMS_TABLE,
} from '../libs/audit-log/src/store/event-table';
import {
  EventHistogramService,
  HistogramInterval,
} from '../libs/audit-log/src/query/event-histogram.service';
import { prng as mulberry32 } from '../apps/example-host/src/demo-data';

const env = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return Math.floor(n);
};

const EVENTS = env('BENCH_EVENTS', 5_000_000);
const ORGS = env('BENCH_ORGS', 1000);
const DAYS = env('BENCH_DAYS', 200);
const SQLITE_EVENTS = env('BENCH_SQLITE_EVENTS', 1_000_000);
const QUERIES = env('BENCH_QUERIES', 1000);
const LOAD_CHUNK = env('BENCH_LOAD_CHUNK', 250_000);
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const SQLITE_DIR = process.env.BENCH_SQLITE_DIR ?? tmpdir();
const FRESH = process.env.BENCH_FRESH === '1';
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((w) => w.trim())
  .filter(Boolean);
/** Whether a shape is timed in this run (BENCH_ONLY). */
const selected = (shape: { name: string }) =>
  !ONLY.length || ONLY.some((w) => shape.name.includes(w));
const DROP = process.env.BENCH_DROP === '1';

const BIG_ORG_SHARE = 0.24;
const PAGE = 50;
const DEEP = 100_000;
const WARMUP = 20;
const HTTP_WARMUP = env('BENCH_HTTP_WARMUP', 500);
const FIRST_PAGE_GOAL_MS = 25;
const DEEP_RATIO_GOAL = 1.5;
const HTTP_PAGE_GOAL_MS = 8;
const HTTP_ONE_GOAL_MS = 3;
const HISTOGRAM_GOAL_MS = 50;
const SLOW_QUERIES = Math.min(QUERIES, 20);
const CATEGORY_IDS = [
  'site_product_users',
  'groups',
  'organization',
  'security_policies',
  'user_accounts',
];
const END = Date.UTC(2026, 10, 25);
const DAY = 86_400_000;
const SEED = 20261125;

// ---------------------------------------------------------------------------------------------
// The data set: deterministic, generated as columns (typed arrays), in time (= id) order.
// ---------------------------------------------------------------------------------------------

// prettier-ignore
const FIRST = [
  'Jane', 'Bob', 'Alice', 'José', 'Zoë', 'Liam', 'Mia', 'Noah', 'Ava', 'Ethan', 'Sofia', 'Lucas',
  'Chloé', 'Mateo', 'Aiko', 'Omar', 'Priya', 'Chen', 'Fatima', 'Olga', 'Kwame', 'Ingrid', 'Raj',
  'Lena', 'Tomás', 'Yuki', 'Amara', 'Pavel', 'Nadia', 'Hugo', 'Greta', 'Ibrahim', 'Mei', 'Diego',
  'Saoirse', 'Arjun', 'Elif', 'Kofi', 'Hana', 'Björn',
];
// prettier-ignore
const LAST = [
  'Doe', 'Li', 'Smith', 'Álvarez', 'Ångström', 'Nguyen', 'García', 'Müller', 'Kowalski',
  'Tanaka', 'Okafor', 'Rossi', 'Dubois', 'Novak', 'Haddad', 'Silva', 'Ivanova', 'Kim', 'Larsen',
  'Mensah', 'Patel', 'Cohen', "O'Brien", 'Schmidt', 'Yilmaz', 'Santos', 'Jensen', 'Moreau',
  'Sato', 'Park', 'Hughes', 'Fischer', 'Costa', 'Berg', 'Wójcik', 'Nakamura', 'Ortiz', 'Adeyemi',
  'Lindqvist', 'Khan',
];
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

interface OrgModel {
  id: string;
  users: number;
  admins: number;
  groups: number;
  sites: number;
  ips: number;
}

function userName(k: number): string {
  const n = Math.floor(k / (FIRST.length * LAST.length));
  const base = `${FIRST[k % FIRST.length]} ${LAST[Math.floor(k / FIRST.length) % LAST.length]}`;
  return n ? `${base} ${n + 1}` : base;
}
function userEmail(org: OrgModel, k: number): string {
  const n = Math.floor(k / (FIRST.length * LAST.length));
  const first = fold(FIRST[k % FIRST.length]);
  const last = fold(LAST[Math.floor(k / FIRST.length) % LAST.length]);
  return `${first}.${last}${n ? n + 1 : ''}@${org.id}.test`;
}
const groupName = (k: number) =>
  `${['jira', 'confluence', 'bitbucket', 'site', 'trello'][k % 5]}-${['admins', 'users', 'devs', 'support', 'guests'][Math.floor(k / 5) % 5]}${k >= 25 ? `-${Math.floor(k / 25) + 1}` : ''}`;
const siteName = (org: OrgModel, k: number) => `${org.id}${k ? `-${k + 1}` : ''}.atlassian.test`;
const ipOf = (org: number, k: number) => `10.${(org >> 8) & 255}.${org & 255}.${(k % 254) + 1}`;

/** Actions with exactly one searchable target, so every event has 4 exact terms. */
const ACTIONS: { id: string; target: 'user' | 'group'; weight: number; product?: boolean }[] = [
  { id: 'user_granted_product_access', target: 'user', weight: 14, product: true },
  { id: 'user_product_access_revoked', target: 'user', weight: 5, product: true },
  { id: 'user_granted_site_access', target: 'user', weight: 8 },
  { id: 'user_site_access_revoked', target: 'user', weight: 3 },
  { id: 'user_invited', target: 'user', weight: 10 },
  { id: 'user_removed', target: 'user', weight: 3 },
  { id: 'org_admin_granted', target: 'user', weight: 1 },
  { id: 'org_admin_revoked', target: 'user', weight: 1 },
  { id: 'group_created', target: 'group', weight: 3 },
  { id: 'group_deleted', target: 'group', weight: 1 },
  { id: 'group_renamed', target: 'group', weight: 1 },
  { id: 'group_granted_product_access', target: 'group', weight: 4, product: true },
  { id: 'group_product_access_revoked', target: 'group', weight: 2, product: true },
  { id: 'group_granted_admin_access', target: 'group', weight: 1, product: true },
  { id: 'group_admin_access_revoked', target: 'group', weight: 1, product: true },
];
const PRODUCTS = ['jira', 'confluence', 'bitbucket', 'jira-service-management', 'trello'];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'atlassian-admin-cli/2.4.1 node/20.19.0',
];

class DataSet {
  readonly orgs: OrgModel[] = [];
  readonly time: Float64Array;
  readonly org: Uint16Array;
  readonly actor: Uint32Array;
  readonly action: Uint8Array;
  readonly target: Uint32Array;
  readonly site: Uint8Array;
  readonly extra: Uint32Array;
  readonly ids: Buffer;
  /** Per org: the term ids (global, in primary-key order) of each pool entry. */
  private readonly tids: {
    userName: Int32Array;
    userEmail: Int32Array;
    group: Int32Array;
    site: Int32Array;
  }[] = [];
  termOrg!: Uint16Array;
  termHash!: string[];
  private readonly catalog = new ActionCatalog();

  constructor(readonly n: number) {
    const rand = mulberry32(SEED ^ n);
    // One org holds BIG_ORG_SHARE of the events; the others a Zipf-like tail.
    const tail = Array.from({ length: ORGS - 1 }, (_, k) => 1 / Math.pow(k + 6, 0.9));
    const tailSum = tail.reduce((a, b) => a + b, 0);
    const cumulative = new Float64Array(ORGS);
    let acc = BIG_ORG_SHARE;
    cumulative[0] = acc;
    for (let k = 1; k < ORGS; k++)
      cumulative[k] = acc += (tail[k - 1] / tailSum) * (1 - BIG_ORG_SHARE);
    for (let o = 0; o < ORGS; o++) {
      const expected = n * (cumulative[o] - (o ? cumulative[o - 1] : 0));
      const users = clamp(Math.round(expected / 60), 8, 20_000);
      this.orgs.push({
        id: `org-${String(o).padStart(4, '0')}`,
        users,
        admins: clamp(Math.round(users / 20), 1, 1000),
        groups: clamp(Math.round(users / 40), 3, 500),
        sites: clamp(Math.round(users / 4000), 1, 8),
        ips: clamp(Math.round(users / 50), 2, 254),
      });
    }
    this.buildTerms();

    const wSum = ACTIONS.reduce((s, a) => s + a.weight, 0);
    let wAcc = 0;
    const actionCum = ACTIONS.map((a) => (wAcc += a.weight / wSum));
    this.time = new Float64Array(n);
    this.org = new Uint16Array(n);
    this.actor = new Uint32Array(n);
    this.action = new Uint8Array(n);
    this.target = new Uint32Array(n);
    this.site = new Uint8Array(n);
    this.extra = new Uint32Array(n);
    this.ids = Buffer.alloc(n * 26);
    const start = END - DAYS * DAY;
    const step = (DAYS * DAY) / n;
    let prev = start - 1;
    const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    for (let i = 0; i < n; i++) {
      let t = Math.floor(start + i * step + rand() * step);
      if (t <= prev) t = prev + 1;
      prev = t;
      this.time[i] = t;
      const u = rand();
      let o = 0;
      if (u >= BIG_ORG_SHARE) {
        let lo = 1;
        let hi = ORGS - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid] < u) lo = mid + 1;
          else hi = mid;
        }
        o = lo;
      }
      this.org[i] = o;
      const m = this.orgs[o];
      // Admins do most of the work.
      const actor = rand() < 0.7 ? Math.floor(rand() * m.admins) : Math.floor(rand() * m.users);
      this.actor[i] = actor;
      const ua = rand();
      let a = 0;
      while (actionCum[a] < ua && a < ACTIONS.length - 1) a++;
      this.action[i] = a;
      if (ACTIONS[a].target === 'user') {
        let target = Math.floor(rand() * (m.users - 1));
        if (target >= actor) target++;
        this.target[i] = target;
      } else {
        this.target[i] = Math.floor(rand() * m.groups);
      }
      this.site[i] = Math.floor(rand() * m.sites);
      this.extra[i] = Math.floor(rand() * 0xffffffff);
      // A ULID of the event's time: ids sort with time, as the writer's do.
      let tt = t;
      for (let c = 9; c >= 0; c--) {
        this.ids[i * 26 + c] = B32.charCodeAt(tt % 32);
        tt = Math.floor(tt / 32);
      }
      for (let c = 10; c < 26; c++) this.ids[i * 26 + c] = B32.charCodeAt(Math.floor(rand() * 32));
    }
  }

  id(i: number): string {
    return this.ids.toString('latin1', i * 26, i * 26 + 26);
  }

  /** The 4 term ids of event i. */
  termIds(i: number, out: Int32Array): void {
    const t = this.tids[this.org[i]];
    out[0] = t.userName[this.actor[i]];
    out[1] = t.userEmail[this.actor[i]];
    out[2] =
      ACTIONS[this.action[i]].target === 'user'
        ? t.userName[this.target[i]]
        : t.group[this.target[i]];
    out[3] = t.site[this.site[i]];
  }

  event(i: number): PreparedEvent {
    const o = this.org[i];
    const m = this.orgs[o];
    const a = ACTIONS[this.action[i]];
    const x = this.extra[i];
    const actor = this.actor[i];
    const target = this.target[i];
    const product = a.product ? PRODUCTS[x % PRODUCTS.length] : null;
    const metadata: Record<string, unknown> =
      a.id === 'group_renamed'
        ? { previousName: `${groupName(target)}-old` }
        : x % 7 === 0
          ? { reason: 'onboarding', ticket: `HR-${x % 10000}` }
          : {};
    return {
      id: this.id(i),
      orgId: m.id,
      action: a.id,
      category: this.catalog.getAction(a.id)!.category,
      occurredAt: this.time[i],
      recordedAt: this.time[i] + (x % 40),
      actor: { id: `u-${actor}`, type: 'user', name: userName(actor), email: userEmail(m, actor) },
      targets:
        a.target === 'user'
          ? [{ id: `u-${target}`, type: 'user', name: userName(target) }]
          : [{ id: `g-${target}`, type: 'group', name: groupName(target) }],
      site: { id: `s-${this.site[i]}`, name: siteName(m, this.site[i]) },
      product,
      location: { ip: ipOf(o, (x >>> 8) % m.ips), userAgent: AGENTS[(x >>> 4) % AGENTS.length] },
      outcome: x % 50 === 0 ? 'failure' : 'success',
      metadata,
    };
  }

  /** Term ids in primary-key order (org_id, term): orgs sorted by id, terms by hash. */
  private buildTerms(): void {
    const termOrg: number[] = [];
    const termHash: string[] = [];
    const sortedOrgs = this.orgs
      .map((m, o) => ({ m, o }))
      .sort((a, b) => (a.m.id < b.m.id ? -1 : 1));
    const perOrg: (typeof this.tids)[number][] = new Array(this.orgs.length);
    for (const { m, o } of sortedOrgs) {
      const entries: { hash: string; set: (tid: number) => void }[] = [];
      const t = {
        userName: new Int32Array(m.users),
        userEmail: new Int32Array(m.users),
        group: new Int32Array(m.groups),
        site: new Int32Array(m.sites),
      };
      const add = (value: string, arr: Int32Array, k: number) =>
        entries.push({ hash: hashTerm(normalizeTerm(value)), set: (tid) => (arr[k] = tid) });
      for (let k = 0; k < m.users; k++) add(userName(k), t.userName, k);
      for (let k = 0; k < m.users; k++) add(userEmail(m, k), t.userEmail, k);
      for (let k = 0; k < m.groups; k++) add(groupName(k), t.group, k);
      for (let k = 0; k < m.sites; k++) add(siteName(m, k), t.site, k);
      entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
      for (let e = 0; e < entries.length; e++) {
        if (e && entries[e].hash === entries[e - 1].hash)
          throw new Error(`duplicate term in ${m.id}`);
        entries[e].set(termHash.length);
        termOrg.push(o);
        termHash.push(entries[e].hash);
      }
      perOrg[o] = t;
    }
    this.tids.push(...perOrg);
    this.termOrg = Uint16Array.from(termOrg);
    this.termHash = termHash;
  }

  /** Every term row's event index, grouped by term id in key order (a counting sort). */
  termRowsByKey(): { start: Int32Array; events: Int32Array } {
    const start = new Int32Array(this.termHash.length + 1);
    const ids = new Int32Array(4);
    for (let i = 0; i < this.n; i++) {
      this.termIds(i, ids);
      for (let k = 0; k < 4; k++) start[ids[k] + 1]++;
    }
    for (let t = 0; t < this.termHash.length; t++) start[t + 1] += start[t];
    const fill = start.slice(0, this.termHash.length);
    const events = new Int32Array(this.n * 4);
    // Events come in time (and id) order, so each term's rows come out sorted by the rest of the key.
    for (let i = 0; i < this.n; i++) {
      this.termIds(i, ids);
      for (let k = 0; k < 4; k++) events[fill[ids[k]]++] = i;
    }
    return { start, events };
  }

  /** Checks the generator's terms against the store's own `eventTerms` on a sample. */
  checkTerms(): void {
    const ids = new Int32Array(4);
    for (let s = 0; s < 2000; s++) {
      const i = Math.floor((s * this.n) / 2000);
      this.termIds(i, ids);
      const mine = [...ids].map((t) => this.termHash[t]).sort();
      const theirs = eventTerms(this.event(i)).sort();
      if (mine.join() !== theirs.join()) throw new Error(`term mismatch on event ${i}`);
    }
  }

  /** Indexes of events of org `o`, newest first. */
  eventsOf(o: number, count: number): number[] {
    const out: number[] = [];
    for (let i = this.n - 1; i >= 0 && out.length < count; i--) if (this.org[i] === o) out.push(i);
    return out;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

const ROW_VALUES = (ds: DataSet, i: number, seq: number) =>
  eventRowValues(ds.event(i), seq, UNCHAINED);

function tsvEscape(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  return String(v).replace(/[\\\t\n\r\0]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0',
  );
}

/** A stream of Buffers (mysql2 needs Buffers) that waits while the socket's buffer is full. */
class ChunkStream extends Readable {
  constructor(
    private readonly chunks: Iterator<string>,
    private readonly socket: Writable,
  ) {
    super();
  }

  override _read(): void {
    if (this.socket.writableLength > 8 * 1024 * 1024) {
      this.socket.once('drain', () => this._read());
      return;
    }
    const next = this.chunks.next();
    this.push(next.done ? null : Buffer.from(next.value, 'utf8'));
  }
}

function* batched(lines: Iterable<string>, bytes = 1 << 20): Iterator<string> {
  let buf: string[] = [];
  let size = 0;
  for (const line of lines) {
    buf.push(line);
    size += line.length;
    if (size >= bytes) {
      yield buf.join('');
      buf = [];
      size = 0;
    }
  }
  if (buf.length) yield buf.join('');
}

async function loadData(
  conn: Connection,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
) {
  const socket = (conn as unknown as { connection: { stream: Writable } }).connection.stream;
  const stream = new ChunkStream(batched(lines), socket);
  await conn.query({
    sql:
      `LOAD DATA LOCAL INFILE 'bench.tsv' INTO TABLE ${table} CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns.join(', ')})`,
    infileStreamFactory: () => stream,
  });
}

interface SecondaryIndex {
  table: string;
  name: string;
  definition: string;
}

async function mysqlSecondaryIndexes(conn: Connection, table: string): Promise<SecondaryIndex[]> {
  const [rows] = await conn.query(`SHOW CREATE TABLE ${table}`);
  const ddl = (rows as Record<string, string>[])[0]['Create Table'];
  const out: SecondaryIndex[] = [];
  for (const line of ddl.split('\n')) {
    const m = /^\s*((?:UNIQUE )?KEY) `([^`]+)` (\(.*\))/.exec(line);
    if (m) out.push({ table, name: m[2], definition: `${m[1]} ${m[2]} ${m[3]}` });
  }
  return out;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function mysqlAdmin(database?: string): Promise<Connection> {
  const u = new URL(MYSQL_URL);
  return createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
    charset: 'utf8mb4_bin',
    supportBigNumbers: true,
    multipleStatements: false,
  });
}

function params(n: number): string {
  return JSON.stringify({ n, orgs: ORGS, days: DAYS, seed: SEED, v: 1 });
}

async function prepareMysql(ds: DataSet): Promise<string> {
  const name = `auditkit_bench_search_${ds.n}`;
  const admin = await mysqlAdmin();
  try {
    const [exists] = await admin.query(
      'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [name],
    );
    if ((exists as unknown[]).length && !FRESH) {
      try {
        const [meta] = await admin.query(`SELECT v FROM ${name}.bench_meta WHERE k = 'params'`);
        if ((meta as { v: string }[])[0]?.v === params(ds.n)) {
          console.log(`MariaDB: reusing the loaded database ${name} (BENCH_FRESH=1 reloads it)`);
          return name;
        }
      } catch {
        // No meta table: an interrupted load; start again.
      }
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }

  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const dataSource = new DataSource(auditDataSourceOptions(url.toString(), { poolSize: 1 }));
  await dataSource.initialize();
  await runAuditLogMigrations(dataSource);
  await dataSource.destroy();

  const conn = await mysqlAdmin(name);
  const conn2 = await mysqlAdmin(name);
  try {
    for (const c of [conn, conn2]) {
      await c.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
    }
    // Secondary indexes are built once after the load, by sorting, instead of row by row.
    const indexes = [
      ...(await mysqlSecondaryIndexes(conn, EVENTS_TABLE)),
      ...(await mysqlSecondaryIndexes(conn, TERMS_TABLE)),
    ];
    for (const ix of indexes) await conn.query(`ALTER TABLE ${ix.table} DROP INDEX ${ix.name}`);

    console.log(
      `MariaDB: generating and loading ${fmt(ds.n)} events and ${fmt(ds.n * 4)} term rows into ${name}`,
    );
    const t0 = Date.now();
    const seqs = new Uint32Array(ORGS);
    const lastSeq = (i: number) => ++seqs[ds.org[i]];
    let eventsDone = 0;
    let termsDone = 0;
    const progress = setInterval(() => {
      const s = (Date.now() - t0) / 1000;
      console.log(
        `  ${s.toFixed(0)} s: ${fmt(eventsDone)} events (${fmt(eventsDone / s)}/s), ${fmt(termsDone)} term rows (${fmt(termsDone / s)}/s)`,
      );
    }, 15_000);
    const loadEvents = async () => {
      const tStart = Date.now();
      for (let from = 0; from < ds.n; from += LOAD_CHUNK || ds.n) {
        const to = Math.min(ds.n, from + (LOAD_CHUNK || ds.n));
        await loadData(
          conn,
          EVENTS_TABLE,
          EVENT_COLUMNS,
          (function* () {
            for (let i = from; i < to; i++) {
              yield ROW_VALUES(ds, i, lastSeq(i)).map(tsvEscape).join('\t') + '\n';
              eventsDone++;
            }
          })(),
        );
      }
      return Date.now() - tStart;
    };
    const loadTerms = async () => {
      const tStart = Date.now();
      const { start, events } = ds.termRowsByKey();
      const sortMs = Date.now() - tStart;
      const rows = ds.n * 4;
      const chunk = (LOAD_CHUNK || ds.n) * 4;
      let t = 0;
      for (let from = 0; from < rows; from += chunk) {
        const to = Math.min(rows, from + chunk);
        await loadData(
          conn2,
          TERMS_TABLE,
          TERM_COLUMNS,
          (function* () {
            for (let p = from; p < to; p++) {
              while (start[t + 1] <= p) t++;
              const i = events[p];
              yield `${ds.orgs[ds.termOrg[t]].id}\t${ds.termHash[t]}\t${ds.time[i]}\t${ds.id(i)}\n`;
              termsDone++;
            }
          })(),
        );
      }
      return { ms: Date.now() - tStart, sortMs };
    };
    const [eventsMs, terms] = await Promise.all([loadEvents(), loadTerms()]);
    clearInterval(progress);
    const loadMs = Date.now() - t0;
    console.log(
      `  events: ${fmt(ds.n)} in ${secs(eventsMs)} (${fmt(ds.n / (eventsMs / 1000))}/s); ` +
        `term rows: ${fmt(ds.n * 4)} in ${secs(terms.ms)} (${fmt((ds.n * 4) / (terms.ms / 1000))}/s, ` +
        `sorted by key in ${secs(terms.sortMs)}); both, in parallel: ${secs(loadMs)} ` +
        `(${fmt(ds.n / (loadMs / 1000))} events/s)`,
    );

    const orgRows = ds.orgs.map((m, o) => [m.id, seqs[o]]).filter(([, s]) => Number(s) > 0);
    await conn.query(`INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) VALUES ?`, [
      orgRows.map(([o, s]) => [o, s, null]),
    ]);

    const tIdx = Date.now();
    const byTable = new Map<string, SecondaryIndex[]>();
    for (const ix of indexes) byTable.set(ix.table, [...(byTable.get(ix.table) ?? []), ix]);
    await Promise.all(
      [...byTable].map(async ([table, list], k) => {
        const c = k ? conn2 : conn;
        const t = Date.now();
        await c.query(
          `ALTER TABLE ${table} ${list.map((ix) => `ADD ${ix.definition}`).join(', ')}`,
        );
        console.log(
          `  ${table}: ${list.length} secondary indexes built in ${secs(Date.now() - t)}`,
        );
      }),
    );
    await conn.query(`ANALYZE TABLE ${EVENTS_TABLE}, ${TERMS_TABLE}`);
    console.log(
      `  indexes and statistics: ${secs(Date.now() - tIdx)}; total ${secs(Date.now() - t0)}`,
    );
    await conn.query('CREATE TABLE bench_meta (k VARCHAR(32) PRIMARY KEY, v TEXT NOT NULL)');
    await conn.query(`INSERT INTO bench_meta VALUES ('params', ?)`, [params(ds.n)]);
  } finally {
    await conn.end();
    await conn2.end();
  }
  return name;
}

async function prepareSqlite(ds: DataSet): Promise<string> {
  mkdirSync(SQLITE_DIR, { recursive: true });
  const file = join(SQLITE_DIR, `auditkit-bench-search-${ds.n}.db`);
  if (existsSync(file) && !FRESH) {
    try {
      const db = new Database(file, { readonly: true });
      const row = db.prepare(`SELECT v FROM bench_meta WHERE k = 'params'`).get() as
        { v: string } | undefined;
      db.close();
      if (row?.v === params(ds.n)) {
        console.log(`SQLite: reusing ${file} (BENCH_FRESH=1 reloads it)`);
        return file;
      }
    } catch {
      // An interrupted load; start again.
    }
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const dataSource = new DataSource(auditDataSourceOptions(`sqlite:${file}`));
  await dataSource.initialize();
  await runAuditLogMigrations(dataSource);
  await dataSource.destroy();

  const db = new Database(file);
  try {
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const indexes = db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?, ?)`,
      )
      .all(EVENTS_TABLE, TERMS_TABLE) as { name: string; sql: string }[];
    for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
    console.log(
      `SQLite: generating and loading ${fmt(ds.n)} events and ${fmt(ds.n * 4)} term rows into ${file}`,
    );
    const t0 = Date.now();
    const insertEvent = db.prepare(
      `INSERT INTO ${EVENTS_TABLE} (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
    );
    const seqs = new Uint32Array(ORGS);
    const batch = 50_000;
    const insertEvents = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insertEvent.run(ROW_VALUES(ds, i, ++seqs[ds.org[i]]));
    });
    for (let from = 0; from < ds.n; from += batch) insertEvents(from, Math.min(ds.n, from + batch));
    const eventsMs = Date.now() - t0;
    const t1 = Date.now();
    const { start, events } = ds.termRowsByKey();
    const insertTerm = db.prepare(
      `INSERT INTO ${TERMS_TABLE} (org_id, term, occurred_at, event_id) VALUES (?, ?, ?, ?)`,
    );
    const insertTerms = db.transaction((fromTerm: number, toTerm: number) => {
      for (let t = fromTerm; t < toTerm; t++) {
        const org = ds.orgs[ds.termOrg[t]].id;
        for (let p = start[t]; p < start[t + 1]; p++)
          insertTerm.run(org, ds.termHash[t], ds.time[events[p]], ds.id(events[p]));
      }
    });
    for (let t = 0; t < ds.termHash.length; t += 5000)
      insertTerms(t, Math.min(ds.termHash.length, t + 5000));
    const termsMs = Date.now() - t1;
    const insertState = db.prepare(
      `INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) VALUES (?, ?, NULL)`,
    );
    db.transaction(() => ds.orgs.forEach((m, o) => seqs[o] && insertState.run(m.id, seqs[o])))();
    const t2 = Date.now();
    for (const ix of indexes) db.exec(ix.sql);
    db.exec('ANALYZE');
    console.log(
      `  events: ${secs(eventsMs)} (${fmt(ds.n / (eventsMs / 1000))}/s); term rows: ${secs(termsMs)} ` +
        `(${fmt((ds.n * 4) / (termsMs / 1000))}/s); indexes + ANALYZE: ${secs(Date.now() - t2)}`,
    );
    db.exec('CREATE TABLE bench_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    db.prepare(`INSERT INTO bench_meta VALUES ('params', ?)`).run(params(ds.n));
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Querying
// ---------------------------------------------------------------------------------------------

interface Shape {
  name: string;
  firstPage: boolean;
  /** The i-th query (rotating parameters); returns the number of events it got. */
  run: (i: number) => Promise<number>;
  /** The SQL and parameters of one representative query, for the plan (not for HTTP shapes). */
  sql?: () => { sql: string; params: unknown[] };
  /** An HTTP shape's goal for its p95, when it has one. */
  httpGoalMs?: number;
  /** A first query's goal for its p95 inside the process, when not the first page's. */
  goalMs?: number | null;
  /** Hundreds of ms a query: timed SLOW_QUERIES times after two warm-ups. */
  slow?: boolean;
}

interface Result {
  name: string;
  p50: number;
  p95: number;
  rows: number;
  firstPage: boolean;
  plan: string;
  httpGoalMs?: number;
  goalMs?: number | null;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '  (no rows)';
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) =>
    cols.map((c) => (r[c] === null || r[c] === undefined ? 'NULL' : String(r[c]))),
  );
  const widths = cols.map((c, k) => Math.max(c.length, ...cells.map((r) => r[k].length)));
  const line = (vals: string[]) =>
    '  | ' + vals.map((v, k) => v.padEnd(widths[k])).join(' | ') + ' |';
  const sep = '  +' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  return [sep, line(cols), sep, ...cells.map(line), sep].join('\n');
}

async function shapesFor(
  ds: DataSet,
  service: EventQueryService,
  dataSource: DataSource,
): Promise<Shape[]> {
  const big = ds.orgs[0].id;
  // Exact terms: names of admins (busy actors) of the big org, in mixed case as a user types them.
  const terms = Array.from({ length: 20 }, (_, k) => normalizeTerm(userName(k * 7).toUpperCase()));
  const windows = Array.from({ length: 10 }, (_, k) => {
    const from = END - (DAYS - 20 - k * 15) * DAY;
    return { from, to: from + 7 * DAY - 1 };
  });
  const action = ['user_granted_product_access'];
  const byId = ds
    .eventsOf(0, 50_000)
    .filter((_, k) => k % 250 === 0)
    .map((i) => ds.id(i));

  // The cursor 100,000 events deep (less at small scales), reached by walking pages of 1,000
  // the way a client does.
  const depth = Math.min(DEEP, Math.floor(ds.org.filter((o) => o === 0).length * 0.8));
  const tWalk = Date.now();
  let after: { time: number; id: string } | undefined;
  let walked = 0;
  let last: AuditEvent | undefined;
  while (walked < depth) {
    const page = await service.page(big, {}, Math.min(1000, depth - walked), after);
    for (const e of page.events) {
      if (last && (e.time > last.time || (e.time === last.time && e.id >= last.id))) {
        throw new Error(`walk out of order at ${walked}`);
      }
      last = e;
    }
    walked += page.events.length;
    if (!page.next) throw new Error(`the big org has fewer than ${depth} events`);
    after = page.next;
  }
  console.log(
    `  walked ${fmt(walked)} events of ${big} in pages of 1,000 in ${secs(Date.now() - tWalk)}`,
  );
  const deep = after!;

  const pageOf = (filters: EventFilters, cursor?: { time: number; id: string }) => async () =>
    (await service.page(big, filters, PAGE, cursor)).events.length;
  const shapes: Shape[] = [
    {
      name: 'newest page of the big org',
      firstPage: true,
      run: pageOf({}),
      sql: () => service.build(big, {}, PAGE + 1),
    },
    {
      name: 'newest event (limit=1)',
      firstPage: true,
      run: async () => (await service.page(big, {}, 1)).events.length,
      sql: () => service.build(big, {}, 2),
    },
    {
      name: 'action + 7-day range',
      firstPage: true,
      run: (i) => pageOf({ actions: action, ...windows[i % windows.length] })(),
      sql: () => service.build(big, { actions: action, ...windows[0] }, PAGE + 1),
    },
    {
      name: 'exact term (q)',
      firstPage: true,
      run: (i) => pageOf({ q: terms[i % terms.length] })(),
      sql: () => service.build(big, { q: terms[0] }, PAGE + 1),
    },
    {
      name: `page ${fmt(depth)} deep (cursor)`,
      firstPage: false,
      run: pageOf({}, deep),
      sql: () => service.build(big, {}, PAGE + 1, deep),
    },
    {
      name: 'single event by id',
      firstPage: true,
      run: async (i) => ((await service.get(big, byId[i % byId.length])) ? 1 : 0),
      // The statement of EventQueryService.get.
      sql: () => ({
        sql: `SELECT * FROM ${EVENTS_TABLE} WHERE id = ? AND org_id = ?`,
        params: [byId[0], big],
      }),
    },
  ];
  const histograms = new EventHistogramService(dataSource, service);
  for (const h of HISTOGRAM_SHAPES) {
    shapes.push({
      name: h.name,
      firstPage: true,
      goalMs: h.goalMs,
      slow: h.goalMs === null,
      run: async (i) => {
        const { from, to } = histogramRange(i);
        const result = await histograms.histogram(big, {
          filters: h.filters,
          from,
          to,
          interval: h.interval,
          offsetMinutes: h.offsetMinutes,
          categories: h.filters.category ? [h.filters.category] : CATEGORY_IDS,
        });
        if (result.source !== h.source) throw new Error(`${h.name}: read ${result.source}`);
        return result.buckets.length;
      },
    });
  }
  return shapes;
}

/**
 * The histogram's shapes: a 30-day range of the big org (edges mid-hour), by hour and by day
 * from the rollup, narrowed to a category, and grouped from the events (an actor, an exact term,
 * and no filter at all with a half-hour offset: what the whole range costs without the rollup).
 */
const HISTOGRAM_SHAPES: {
  name: string;
  query: string;
  filters: EventFilters;
  interval: HistogramInterval;
  offsetMinutes: number;
  source: 'rollup' | 'events';
  goalMs: number | null;
}[] = [
  {
    name: 'histogram 30 days by hour (rollup)',
    query: 'interval=hour',
    filters: {},
    interval: 'hour',
    offsetMinutes: 0,
    source: 'rollup',
    goalMs: HISTOGRAM_GOAL_MS,
  },
  {
    name: 'histogram 30 days by day (rollup)',
    query: 'interval=day',
    filters: {},
    interval: 'day',
    offsetMinutes: 0,
    source: 'rollup',
    goalMs: HISTOGRAM_GOAL_MS,
  },
  {
    name: 'histogram 30 days by day, +02:00, one category (rollup)',
    query: 'interval=day&utcOffset=%2B02:00&category=groups',
    filters: { category: 'groups' },
    interval: 'day',
    offsetMinutes: 120,
    source: 'rollup',
    goalMs: HISTOGRAM_GOAL_MS,
  },
  {
    name: 'histogram 30 days by day, one actor (events)',
    query: 'interval=day&actor=u-3',
    filters: { actor: ['u-3'] },
    interval: 'day',
    offsetMinutes: 0,
    source: 'events',
    goalMs: null,
  },
  {
    name: 'histogram 30 days by day, exact term (events)',
    query: `interval=day&q=${encodeURIComponent(userName(7))}`,
    filters: { q: normalizeTerm(userName(7)) },
    interval: 'day',
    offsetMinutes: 0,
    source: 'events',
    goalMs: null,
  },
  {
    name: 'baseline: 30 days by day, no rollup (events, +05:30)',
    query: 'interval=day&utcOffset=%2B05:30',
    filters: {},
    interval: 'day',
    offsetMinutes: 330,
    source: 'events',
    goalMs: null,
  },
];

/** The i-th 30-day range: ten ranges ending 0 to 45 days before END, starting mid-hour. */
function histogramRange(i: number): { from: number; to: number } {
  const to = END - (i % 10) * 5 * DAY - 1_234_567;
  return { from: to - 30 * DAY + 1, to };
}

/**
 * Fills the activity rollup from the loaded events when it is empty: the loader writes the
 * events directly, after the migrations (whose backfill then found none). The same statement as
 * the migration's backfill.
 */
async function fillRollup(url: string): Promise<void> {
  const dataSource = new DataSource(auditDataSourceOptions(url, { poolSize: 1 }));
  await dataSource.initialize();
  try {
    const [{ n }] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${ROLLUP_TABLE}`);
    if (Number(n) > 0) return;
    const mysql = url.startsWith('mysql');
    const t = Date.now();
    await dataSource.query(
      `INSERT INTO ${ROLLUP_TABLE} (org_id, hour_start, category, events)
       SELECT org_id, ${mysql ? 'occurred_at DIV 3600000 * 3600000' : 'occurred_at / 3600000 * 3600000'} AS hour_start, category, COUNT(*)
       FROM ${EVENTS_TABLE} GROUP BY org_id, hour_start, category`,
    );
    const [{ n: rows }] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${ROLLUP_TABLE}`);
    console.log(
      `  activity rollup filled from the events in ${secs(Date.now() - t)}: ${fmt(Number(rows))} rows (org, hour, category)`,
    );
  } finally {
    await dataSource.destroy();
  }
}

/** GET over a keep-alive connection; resolves with the status and the parsed body. */
function httpGet(agent: Agent, base: string, path: string, token: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { agent, headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (res.statusCode !== 200)
            reject(new Error(`${path}: ${res.statusCode} ${JSON.stringify(body)}`));
          else resolve(body);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The same shapes through the admin API over HTTP: guard, validation, cursor codec, JSON. */
async function httpShapesFor(
  ds: DataSet,
  base: string,
  token: string,
  agent: Agent,
): Promise<Shape[]> {
  const big = ds.orgs[0].id;
  const path = `/admin/v1/orgs/${big}/events`;
  const get = (p: string) => httpGet(agent, base, p, token);
  const names = Array.from({ length: 20 }, (_, k) => userName(k * 7).toUpperCase());
  const windows = Array.from({ length: 10 }, (_, k) => {
    const from = END - (DAYS - 20 - k * 15) * DAY;
    return `from=${from}&to=${new Date(from + 7 * DAY - 1).toISOString()}`;
  });
  const byId = ds
    .eventsOf(0, 50_000)
    .filter((_, k) => k % 250 === 0)
    .map((i) => ds.id(i));
  const depth = Math.min(DEEP, Math.floor(ds.org.filter((o) => o === 0).length * 0.8));
  let walked = 0;
  let cursor: string | null = null;
  while (walked < depth) {
    const limit = Math.min(1000, depth - walked);
    const page: any = await get(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    walked += page.data.length;
    cursor = page.meta.next;
    if (!cursor) throw new Error('the walk over HTTP ended early');
  }
  const count = async (p: string) => (await get(p)).data.length as number;
  return [
    {
      name: 'newest page of the big org',
      firstPage: true,
      run: () => count(`${path}?limit=${PAGE}`),
      httpGoalMs: HTTP_PAGE_GOAL_MS,
    },
    {
      name: 'newest event (limit=1)',
      firstPage: true,
      run: () => count(`${path}?limit=1`),
      httpGoalMs: HTTP_ONE_GOAL_MS,
    },
    {
      name: 'action + 7-day range',
      firstPage: true,
      run: (i) =>
        count(
          `${path}?action=user_granted_product_access&${windows[i % windows.length]}&limit=${PAGE}`,
        ),
    },
    {
      name: 'exact term (q)',
      firstPage: true,
      run: (i) => count(`${path}?q=${encodeURIComponent(names[i % names.length])}&limit=${PAGE}`),
    },
    {
      name: `page ${fmt(depth)} deep (cursor)`,
      firstPage: false,
      run: () => count(`${path}?limit=${PAGE}&cursor=${cursor}`),
    },
    {
      name: 'single event by id',
      firstPage: true,
      run: async (i) => ((await get(`${path}/${byId[i % byId.length]}`)).data ? 1 : 0),
    },
    ...HISTOGRAM_SHAPES.map((h): Shape => ({
      name: h.name,
      firstPage: true,
      httpGoalMs: h.goalMs ?? undefined,
      run: async (i) => {
        const { from, to } = histogramRange(i);
        const body = await get(
          `/admin/v1/orgs/${big}/events-histogram?from=${from}&to=${to}&${h.query}`,
        );
        if (body.meta.source !== h.source) throw new Error(`${h.name}: read ${body.meta.source}`);
        return body.data.length as number;
      },
    })),
  ];
}

/**
 * Times each shape QUERIES times after WARMUP runs. With `over` (the same shapes over HTTP), the
 * i-th HTTP query runs right after the i-th in-process one, so both meet the same load.
 */
async function measure(
  dataSource: DataSource,
  shapes: Shape[],
  dialect: 'mysql' | 'sqlite',
  over?: Shape[],
): Promise<{ inside: Result[]; http: Result[] }> {
  const inside: Result[] = [];
  const http: Result[] = [];
  const result = (shape: Shape, times: number[], rows: number, plan: string): Result => {
    times.sort((a, b) => a - b);
    return {
      name: shape.name,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      rows: rows / times.length,
      firstPage: shape.firstPage,
      plan,
      httpGoalMs: shape.httpGoalMs,
      goalMs: shape.goalMs,
    };
  };
  for (const shape of shapes) {
    const twin = over?.find((h) => h.name === shape.name);
    for (let i = 0; i < (shape.slow ? 2 : WARMUP); i++) {
      await shape.run(i);
      await twin?.run(i);
    }
    const times: number[] = [];
    const httpTimes: number[] = [];
    let rows = 0;
    let httpRows = 0;
    for (let i = 0; i < (shape.slow ? SLOW_QUERIES : QUERIES); i++) {
      let t = process.hrtime.bigint();
      rows += await shape.run(i);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (!twin) continue;
      t = process.hrtime.bigint();
      httpRows += await twin.run(i);
      httpTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    inside.push(result(shape, times, rows, await planOf(dataSource, shape, dialect)));
    if (twin) http.push(result(twin, httpTimes, httpRows, ''));
  }
  return { inside, http };
}

/** The plan of a shape's SQL (MariaDB: EXPLAIN plus ANALYZE's rows read). */
async function planOf(
  dataSource: DataSource,
  shape: Shape,
  dialect: 'mysql' | 'sqlite',
): Promise<string> {
  if (!shape.sql) return '';
  const { sql, params: p } = shape.sql();
  if (dialect === 'sqlite') {
    const explain: Record<string, unknown>[] = await dataSource.query(
      `EXPLAIN QUERY PLAN ${sql}`,
      p,
    );
    return `  ${sql}\n` + explain.map((r) => `  ${r.detail}`).join('\n');
  }
  const explain: Record<string, unknown>[] = await dataSource.query(`EXPLAIN ${sql}`, p);
  const analyze: Record<string, unknown>[] = await dataSource.query(`ANALYZE ${sql}`, p);
  return (
    `  ${sql}\n` +
    table(
      explain.map((r, k) => ({
        table: r.table,
        type: r.type,
        possible_keys: r.possible_keys,
        key: r.key,
        key_len: r.key_len,
        ref: r.ref,
        rows: r.rows,
        r_rows: analyze[k]?.r_rows,
        Extra: r.Extra,
      })),
    )
  );
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/**
 * Inside the process against over HTTP, shape by shape: the HTTP goals, and what the request
 * around the query costs (HTTP p50 minus inside p50).
 */
function reportHttp(title: string, inside: Result[], http: Result[]): boolean {
  let ok = true;
  const rows = http.map((h) => {
    const i = inside.find((r) => r.name === h.name)!;
    const met = h.httpGoalMs === undefined ? undefined : h.p95 <= h.httpGoalMs;
    if (met === false) ok = false;
    return {
      shape: h.name,
      'inside p50': i.p50.toFixed(2),
      'inside p95': i.p95.toFixed(2),
      'HTTP p50': h.p50.toFixed(2),
      'HTTP p95': h.p95.toFixed(2),
      'HTTP - inside p50': (h.p50 - i.p50).toFixed(2),
      'HTTP / inside p95': `${(h.p95 / i.p95).toFixed(2)}x`,
      'HTTP goal': h.httpGoalMs === undefined ? '' : `p95 <= ${h.httpGoalMs} ms`,
      verdict: met === undefined ? '' : met ? 'PASS' : 'FAIL',
    };
  });
  console.log(`\n${title}\n${table(rows)}`);
  return ok;
}

function report(title: string, results: Result[]): boolean {
  // The deep page is held to the newest page of the same run (absent when BENCH_ONLY left it out).
  const newest = results.find((r) => r.firstPage && r.name.startsWith('newest page'));
  let ok = true;
  const rows = results.map((r) => {
    let goal: string;
    let met: boolean;
    if (r.goalMs === null) {
      met = true;
      goal = 'baseline';
    } else if (r.firstPage) {
      const ms = r.goalMs ?? FIRST_PAGE_GOAL_MS;
      met = r.p95 <= ms;
      goal = `p95 <= ${ms} ms`;
    } else if (!newest) {
      met = true;
      goal = 'not checked (BENCH_ONLY)';
    } else {
      met = r.p95 <= newest.p95 * DEEP_RATIO_GOAL;
      goal = `p95 <= ${DEEP_RATIO_GOAL}x newest (${(r.p95 / newest.p95).toFixed(2)}x)`;
    }
    ok &&= met;
    return {
      shape: r.name,
      'p50 ms': r.p50.toFixed(2),
      'p95 ms': r.p95.toFixed(2),
      'events/query': r.rows.toFixed(0),
      goal,
      verdict: met ? 'met' : 'MISSED',
    };
  });
  console.log(`\n${title}\n${table(rows)}`);
  return ok;
}

/**
 * Why the deep page's SQL is what it is: the same page written the way the optimizer handles
 * badly (MariaDB without FORCE INDEX; SQLite with the OR form instead of a row value), timed.
 */
async function control(
  dataSource: DataSource,
  dialect: 'mysql' | 'sqlite',
  deep: Shape,
  results: Result[],
): Promise<void> {
  const { sql, params: p } = deep.sql!();
  let alt: string;
  let altParams = p;
  let what: string;
  if (dialect === 'mysql') {
    alt = sql.replace(/ FORCE INDEX \([^)]*\)/g, '');
    what = 'without FORCE INDEX';
  } else {
    alt = sql.replace(
      '(e.occurred_at, e.id) < (?, ?)',
      '(e.occurred_at < ? OR (e.occurred_at = ? AND e.id < ?))',
    );
    const [t, id] = p.slice(-2);
    altParams = [...p.slice(0, -2), t, t, id];
    what = 'with the OR form instead of a row value';
  }
  const runs = dialect === 'mysql' ? 3 : 20;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await dataSource.query(alt, altParams);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const plan: Record<string, unknown>[] = await dataSource.query(
    `${dialect === 'mysql' ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN'} ${alt}`,
    altParams,
  );
  const r = results.find((x) => x.name === deep.name)!;
  console.log(
    `\nControl: the deep page ${what}: median ${times[Math.floor(runs / 2)].toFixed(2)} ms over ${runs} runs ` +
      `(as built: p50 ${r.p50.toFixed(2)} ms)\n  ${alt}\n` +
      plan
        .map((x) =>
          dialect === 'mysql'
            ? `  ${x.table}: type ${x.type}, key ${x.key}, rows ${x.rows}, ${x.Extra}`
            : `  ${x.detail}`,
        )
        .join('\n'),
  );
}

async function benchOne(
  label: string,
  ds: DataSet,
  databaseUrl: string,
  dialect: 'mysql' | 'sqlite',
): Promise<boolean> {
  const dataSource = new DataSource(auditDataSourceOptions(databaseUrl, { poolSize: 2 }));
  await dataSource.initialize();
  const server = await startAdminServer(databaseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let ok: boolean;
  try {
    const service = new EventQueryService(dataSource);
    const shapes = (await shapesFor(ds, service, dataSource)).filter(selected);
    const token = await signAuditToken(
      { sub: 'bench', orgs: { [ds.orgs[0].id]: ['org-admin'] } },
      SERVER_SECRET,
      3600,
    );
    const httpShapes = (await httpShapesFor(ds, server.base, token, agent)).filter(selected);
    // A server in production has run its code paths many times (the JIT has optimized them);
    // the in-process shapes get this from the walk and the loader.
    for (const shape of httpShapes)
      for (let i = 0; i < (shape.slow ? 2 : HTTP_WARMUP); i++) await shape.run(i);
    const loadBefore = load();
    const { inside, http } = await measure(dataSource, shapes, dialect, httpShapes);
    const loads = `load average (1, 5, 15 min) ${loadBefore} before, ${load()} after, ${cpus().length} CPUs`;
    ok = report(`${label}, EventQueryService (${loads})`, inside);
    ok =
      reportHttp(
        `${label}: inside (EventQueryService) and through HTTP (GET /admin/v1/orgs/{org}/events, bearer token, keep-alive), each HTTP query right after the same one inside (${loads})`,
        inside,
        http,
      ) && ok;
    console.log(`\nPlans (${label}):`);
    for (const r of inside) console.log(`\n- ${r.name}\n${r.plan}`);
    const deep = shapes.find((x) => !x.firstPage);
    if (deep) await control(dataSource, dialect, deep, inside);
  } finally {
    agent.destroy();
    await server.stop();
    await dataSource.destroy();
  }
  return ok;
}

const SERVER_SECRET = 'auditkit-search-bench';

/**
 * The admin app for the HTTP column, in a process of its own as it runs in production: here it
 * would share its heap (and its garbage collections) with the bench's generated data set.
 */
async function startAdminServer(
  databaseUrl: string,
): Promise<{ base: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', __filename],
    { env: { ...process.env, BENCH_SERVE: databaseUrl }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /^listening (\d+)$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the admin server exited (${code})`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The child of startAdminServer: the admin module booted as apps/admin/src/main.ts boots it.
 * Its read limit is raised, not turned off, so the rate limiter's cost is in the figures (one
 * token sends every timed query).
 */
async function serve(databaseUrl: string): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      // No scheduled checkpoints: the loader writes no chain, so every org would be due at once
      // and the sweep would verify 5M events under the timed queries.
      AuditLogModule.forRoot({
        isGlobal: true,
        databaseUrl,
        integrity: { schedule: false },
        globalInterceptor: false,
      }),
      AuditAdminModule.forRoot({
        jwt: { secret: SERVER_SECRET },
        rateLimit: { reads: { limit: 1_000_000, windowMs: 60_000 } },
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: ['error'],
  });
  app.useGlobalFilters(new ApiExceptionFilter());
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.set('etag', false);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  console.log(`listening ${port}`);
}

async function main(): Promise<void> {
  console.log(
    `AuditKit search bench: ${fmt(EVENTS)} events (MariaDB), ${fmt(SQLITE_EVENTS)} (SQLite), ${ORGS} orgs, ` +
      `${DAYS} days, ${QUERIES} warm queries per shape, ${PAGE} events per page, node ${process.version}`,
  );
  let allOk = true;
  const summaries: string[] = [];
  if (EVENTS > 0) {
    const tGen = Date.now();
    const ds = new DataSet(EVENTS);
    ds.checkTerms();
    console.log(
      `generated ${fmt(EVENTS)} events in ${secs(Date.now() - tGen)}; big org ${ds.orgs[0].id}: ` +
        `${fmt(ds.org.filter((o) => o === 0).length)} events, ${fmt(ds.orgs[0].users)} users`,
    );
    const name = await prepareMysql(ds);
    const admin = await mysqlAdmin();
    const [vars] = await admin.query(
      `SELECT VERSION() AS version, @@innodb_buffer_pool_size AS pool`,
    );
    await admin.end();
    const v = (vars as { version: string; pool: number }[])[0];
    const url = new URL(MYSQL_URL);
    url.pathname = `/${name}`;
    await fillRollup(url.toString());
    const label = `MariaDB ${v.version}, buffer pool ${Math.round(Number(v.pool) / 1048576)} MB, ${fmt(EVENTS)} events`;
    const ok = await benchOne(label, ds, url.toString(), 'mysql');
    allOk &&= ok;
    summaries.push(`${label}: ${ok ? 'all goals met' : 'GOALS MISSED'}`);
    if (DROP) {
      const c = await mysqlAdmin();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    }
  }
  if (SQLITE_EVENTS > 0) {
    const tGen = Date.now();
    const ds = new DataSet(SQLITE_EVENTS);
    ds.checkTerms();
    console.log(`\ngenerated ${fmt(SQLITE_EVENTS)} events in ${secs(Date.now() - tGen)}`);
    const file = await prepareSqlite(ds);
    await fillRollup(`sqlite:${file}`);
    const version = (
      new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }
    ).v;
    const label = `SQLite ${version} (better-sqlite3, WAL), ${fmt(SQLITE_EVENTS)} events`;
    const ok = await benchOne(label, ds, `sqlite:${file}`, 'sqlite');
    allOk &&= ok;
    summaries.push(`${label}: ${ok ? 'all goals met' : 'GOALS MISSED'}`);
    if (DROP) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
  console.log(`\n${summaries.join('\n')}`);
  process.exitCode = allOk ? 0 : 1;
}

(process.env.BENCH_SERVE ? serve(process.env.BENCH_SERVE) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
