import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { dialectOf } from '../store/dialect';
import { EVENTS_TABLE } from '../store/event-table';
import { mysqlConnectionOptions } from '../store/typeorm-driver';
import {
  ChainLink,
  checkStoredRow,
  RowCheck,
  STORED_EVENT_HASH_MODULE,
  VerifiableRow,
  VERIFIED_COLUMNS,
} from './stored-event-hash';

// Reading and hashing an org's stored rows page by page, on this thread or in worker threads:
// what the verifier walks. The verifier itself (links, checkpoints, state) is chain-verifier.ts.

/** How verification reads and hashes; the defaults suit production, tests may force a path. */
export interface VerifyTuning {
  /** Events per SELECT. @default 5000 */
  pageSize?: number;
  /**
   * Worker threads reading and hashing pages in parallel (MySQL/MariaDB only; 0: all on the
   * calling thread). @default min(4, available cores), from `workerMinEvents` events on
   */
  workers?: number;
  /** The fewest events worth starting workers for. @default 20000 */
  workerMinEvents?: number;
}

/** One page of the chain, checked: each row's seq, stored hash, format and hash check. */
export interface CheckedPage {
  seq: number[];
  hash: (string | null)[];
  /** Written in format 0 (no `hash_v`). */
  format0: boolean[];
  check: RowCheck[];
}

// Rows hashed on the calling thread between two turns of the event loop, so that recording
// goes on while a verification runs there.
const ROWS_PER_TURN = 250;
// Workers run at the lowest CPU priority (per thread on Linux), below the thread that records.
const WORKER_NICE = 19;

/**
 * The org's rows with seq in (anchor.seq, headSeq], checked page by page. Each page is the
 * window of seqs (lo, lo + pageSize]: a narrow range on the (org_id, seq) key, which MariaDB
 * reads as a range at any depth, where `seq > ? AND seq <= head` made it walk the key from the
 * org's first entry on every page.
 */
export async function* checkedPages(
  dataSource: DataSource,
  orgId: string,
  anchor: ChainLink,
  headSeq: number,
  tuning: VerifyTuning,
): AsyncGenerator<CheckedPage> {
  const pageSize = tuning.pageSize ?? 5000;
  const sql = `SELECT ${VERIFIED_COLUMNS.join(', ')} FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${pageSize}`;
  const windows: [number, number][] = [];
  for (let lo = anchor.seq; lo < headSeq; lo += pageSize)
    windows.push([lo, Math.min(lo + pageSize, headSeq)]);

  const workerCount = tuning.workers ?? Math.min(4, availableParallelism());
  const pool =
    workerCount > 0 &&
    dialectOf(dataSource) === 'mysql' &&
    headSeq - anchor.seq >= (tuning.workerMinEvents ?? 20_000)
      ? await VerifyWorkers.start(
          dataSource,
          workerCount,
          `SELECT ${VERIFIED_COLUMNS.join(', ')} FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ${pageSize + 1}`,
          orgId,
        )
      : null;
  if (pool) {
    try {
      yield* workerPages(windows, anchor, pool);
    } finally {
      await pool.close();
    }
    return;
  }

  // On this thread: the next page is read while this one is hashed.
  let prev: ChainLink = anchor;
  const fetch = (w: [number, number]): Promise<VerifiableRow[]> =>
    dataSource.query(sql, [orgId, w[0], w[1]]);
  let next = windows.length > 0 ? settleLater(fetch(windows[0])) : null;
  for (let i = 0; next !== null; i++) {
    const rows = await next;
    next = i + 1 < windows.length ? settleLater(fetch(windows[i + 1])) : null;
    const page: CheckedPage = { seq: [], hash: [], format0: [], check: [] };
    for (let k = 0; k < rows.length; k++) {
      if (k > 0 && k % ROWS_PER_TURN === 0) await nextTurn();
      const row = rows[k];
      page.check.push(checkStoredRow(row, prev));
      prev = { seq: Number(row.seq), hash: row.hash };
      page.seq.push(prev.seq);
      page.hash.push(row.hash);
      page.format0.push(row.hash_v === null || row.hash_v === undefined);
    }
    yield page;
  }
}

/**
 * Pages read and hashed by worker threads, each on a connection of its own, so that this
 * thread (which records) neither parses nor hashes rows. Each page is read with the row just
 * before its window: a page's checks need nothing else, so pages are checked in parallel.
 *
 * While this thread is busy (recording, serving requests), only one page is in flight: the
 * database and the recording path keep most of the machine, and the check goes on slower.
 * Lowering the workers' priority alone does not do it, since the database's threads are not
 * this process's to weigh against.
 */
async function* workerPages(
  windows: [number, number][],
  anchor: ChainLink,
  pool: VerifyWorkers,
): AsyncGenerator<CheckedPage> {
  const full = pool.size * PAGES_PER_WORKER;
  const ahead: Promise<CheckedPage>[] = [];
  let next = 0;
  const load = () => {
    const w = windows[next];
    // The first window starts at the anchor (the purge checkpoint's head), not at a row.
    return settleLater(pool.page(w[0], w[1], next++ === 0 ? anchor : null));
  };
  let busy = false;
  let since = performance.now();
  let mark = performance.eventLoopUtilization();
  const inFlight = () => {
    if (performance.now() - since >= BUSY_WINDOW_MS) {
      const now = performance.eventLoopUtilization();
      busy = performance.eventLoopUtilization(now, mark).utilization > BUSY_UTILIZATION;
      mark = now;
      since = performance.now();
    }
    return busy ? 1 : full;
  };
  try {
    while (next < windows.length && ahead.length < full) ahead.push(load());
    while (ahead.length > 0) {
      const page = await ahead.shift()!;
      const limit = inFlight();
      while (next < windows.length && ahead.length < limit) ahead.push(load());
      yield page;
    }
  } finally {
    await Promise.allSettled(ahead);
  }
}

// How busy the calling thread's event loop must be (the share of time it runs, over at least
// BUSY_WINDOW_MS) for verification to step back. Verifying alone keeps it near 5 %; recording
// at full speed above 30 %.
const BUSY_UTILIZATION = 0.2;
const BUSY_WINDOW_MS = 200;

// Pages in flight per worker: the next one is read while this one is hashed.
const PAGES_PER_WORKER = 3;

// A promise awaited later: its rejection is not reported as unhandled meanwhile.
function settleLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * The mysql2 options of the data source's own connections, for a worker's connection: null
 * where they cannot be handed to a thread (a function among them, such as a typeCast, would
 * read rows differently without it).
 */
function workerConnectionOptions(dataSource: DataSource): Record<string, unknown> | null {
  const options = mysqlConnectionOptions(dataSource);
  if (!options) return null;
  const connection: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || POOL_ONLY_OPTIONS.has(key)) continue;
    if (!cloneable(value)) return null;
    connection[key] = value;
  }
  return connection;
}

const POOL_ONLY_OPTIONS = new Set([
  'connectionLimit',
  'acquireTimeout',
  'waitForConnections',
  'queueLimit',
  'maxIdle',
  'idleTimeout',
]);

function cloneable(value: unknown): boolean {
  if (typeof value === 'function' || typeof value === 'symbol') return false;
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value).every(cloneable);
}

// Runs in each worker thread. Plain JS, so that it loads the same under ts-jest and ts-node:
// the module it needs is registered through ts-node when it is TypeScript (dev and tests only).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
try { require('node:os').setPriority(workerData.nice); } catch {}
const load = createRequire(workerData.module);
if (workerData.module.endsWith('.ts')) {
  load('ts-node').register({
    transpileOnly: true,
    skipProject: true,
    compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true },
  });
}
const { checkStoredRows } = require(workerData.module);
const { SEQ, HASH, HASH_V } = workerData.columns;
const connection = load('mysql2').createConnection(workerData.connection);
connection.on('error', () => {});
connection.connect((err) => parentPort.postMessage({ ready: !err, error: err && err.message }));
parentPort.on('message', (m) => {
  if (m.close) return connection.end(() => parentPort.postMessage({ closed: true }));
  connection.query({ sql: m.sql, rowsAsArray: true }, m.params, (err, rows) => {
    if (err) return parentPort.postMessage({ id: m.id, error: err.message });
    try {
      // The row at the window's start belongs to the page before: it is the link this page
      // starts from, unless an anchor is given (the first page never looks before it).
      let prev = m.anchor;
      if (rows.length > 0 && Number(rows[0][SEQ]) === m.params[1]) {
        const r = rows.shift();
        if (prev === null) prev = { seq: Number(r[SEQ]), hash: r[HASH] };
      }
      parentPort.postMessage({
        id: m.id,
        page: {
          seq: rows.map((r) => Number(r[SEQ])),
          hash: rows.map((r) => r[HASH]),
          format0: rows.map((r) => r[HASH_V] === null || r[HASH_V] === undefined),
          check: checkStoredRows(rows, prev),
        },
      });
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String((e && e.stack) || e) });
    }
  });
});
`;

type WorkerReply =
  | { ready: boolean; error?: string }
  | { closed: true }
  | { id: number; page?: CheckedPage; error?: string };

/** Worker threads that read and check pages of one org's chain, for one verification. */
class VerifyWorkers {
  private readonly pending = new Map<
    number,
    { worker: Worker; resolve: (p: CheckedPage) => void; reject: (e: Error) => void }
  >();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly workers: Worker[],
    private readonly sql: string,
    private readonly orgId: string,
  ) {
    for (const w of workers) {
      this.busy.set(w, 0);
      w.on('message', (m: WorkerReply) => {
        if (!('id' in m)) return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.busy.set(w, this.busy.get(w)! - 1);
        if (m.page) p.resolve(m.page);
        else p.reject(new Error(`verification worker: ${m.error}`));
      });
      w.on('error', (err: Error) => this.fail(err));
      w.on('exit', (code) => this.fail(new Error(`verification worker exited (${code})`)));
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Starts `count` workers reading with `sql` (a window query on seq, with the row before the
   * window); null when they cannot start here, and the caller then checks on its own thread.
   */
  static async start(
    dataSource: DataSource,
    count: number,
    sql: string,
    orgId: string,
  ): Promise<VerifyWorkers | null> {
    const connection = workerConnectionOptions(dataSource);
    if (!connection) return null;
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        workers.push(
          new Worker(WORKER_SOURCE, {
            eval: true,
            workerData: {
              module: STORED_EVENT_HASH_MODULE,
              nice: WORKER_NICE,
              connection,
              columns: {
                SEQ: VERIFIED_COLUMNS.indexOf('seq'),
                HASH: VERIFIED_COLUMNS.indexOf('hash'),
                HASH_V: VERIFIED_COLUMNS.indexOf('hash_v'),
              },
            },
          }),
        );
      }
      await Promise.all(workers.map((w) => ready(w)));
      return new VerifyWorkers(workers, sql, orgId);
    } catch {
      await Promise.all(workers.map((w) => w.terminate()));
      return null;
    }
  }

  /** The checked rows of the window (lo, hi]; `anchor` is the link before it, else read. */
  page(lo: number, hi: number, anchor: ChainLink | null): Promise<CheckedPage> {
    if (this.failure) return Promise.reject(this.failure);
    let worker = this.workers[0];
    for (const w of this.workers) if (this.busy.get(w)! < this.busy.get(worker)!) worker = w;
    const id = this.nextId++;
    this.busy.set(worker, this.busy.get(worker)! + 1);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, sql: this.sql, params: [this.orgId, lo, hi], anchor });
    });
  }

  /** Closes the workers' connections and ends the workers. */
  async close(): Promise<void> {
    this.failure ??= new Error('verification workers closed');
    await Promise.all(
      this.workers.map(async (w) => {
        w.removeAllListeners('exit');
        const closed = new Promise<void>((resolve) => {
          const done = (m: WorkerReply) => 'closed' in m && resolve();
          w.on('message', done);
          setTimeout(resolve, 1000).unref();
        });
        w.postMessage({ close: true });
        await closed;
        await w.terminate();
      }),
    );
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

// Resolves once the worker's connection is open (its first message); rejects if it fails.
function ready(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onMessage = (m: { ready?: boolean; error?: string }) =>
      done(m.ready ? undefined : new Error(m.error ?? 'not ready'));
    const onError = (err: Error) => done(err);
    const onExit = (code: number) => done(new Error(`exited (${code})`));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
