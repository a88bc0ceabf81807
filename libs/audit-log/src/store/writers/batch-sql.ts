import { StoreDialect, placeholders } from '../dialect';
import {
  EVENTS_LAYOUT,
  EVENTS_TABLE,
  ORG_STATE_COLUMNS,
  ORG_STATE_LAYOUT,
  ORG_STATE_TABLE,
  ROLLUP_LAYOUT,
  TableLayout,
  insertSql,
  TERMS_LAYOUT,
} from '../event-table';
import { BatchPlan, Value } from './batch-plan';

/** One statement and its parameters. */
export interface Statement {
  sql: string;
  params: Value[];
}

// Multi-row statements stay well under both drivers' placeholder limits.
const EVENT_CHUNK = 500;
const TERM_CHUNK = 1000;
const ROLLUP_CHUNK = 1000;

/**
 * `insertSql` for one table, built once per row count: batches of a busy writer come in few
 * sizes, and the statement is long.
 */
function cachedInsert(table: TableLayout): (rows: number) => string {
  const cache = new Map<number, string>();
  return (rows) => {
    let sql = cache.get(rows);
    if (sql === undefined) {
      sql = insertSql(table, rows);
      cache.set(rows, sql);
    }
    return sql;
  };
}

/** `INSERT INTO auditkit_events (...) VALUES ...` for n rows. */
export const insertEventsSql = cachedInsert(EVENTS_LAYOUT);
/** `INSERT INTO auditkit_event_terms (...) VALUES ...` for n rows. */
export const insertTermsSql = cachedInsert(TERMS_LAYOUT);

const STATE_COLUMNS = ORG_STATE_COLUMNS.join(', ');

const rollupInsert = cachedInsert(ROLLUP_LAYOUT);

/** The statements of a batch in one dialect; each writer holds one. */
export class BatchSql {
  private readonly lock: string;

  constructor(readonly dialect: StoreDialect) {
    // On MySQL the reads lock, so that they see the latest commit and hold it until theirs.
    this.lock = dialect === 'mysql' ? ' FOR UPDATE' : '';
  }

  /** Creates the state rows of the orgs that have none (at seq 0). */
  ensureOrgs(n: number): string {
    const values = new Array(n).fill('(?, 0, NULL)').join(', ');
    return this.dialect === 'mysql'
      ? `INSERT INTO ${ORG_STATE_TABLE} (${STATE_COLUMNS}) VALUES ${values} ON DUPLICATE KEY UPDATE org_id = org_id`
      : `INSERT INTO ${ORG_STATE_TABLE} (${STATE_COLUMNS}) VALUES ${values} ON CONFLICT (org_id) DO NOTHING`;
  }

  /** Sets n orgs' state rows (org_id, last_seq, last_hash), creating those that are missing. */
  saveStates(n: number): string {
    const insert = insertSql(ORG_STATE_LAYOUT, n);
    return this.dialect === 'mysql'
      ? `${insert} ON DUPLICATE KEY UPDATE last_seq = VALUES(last_seq), last_hash = VALUES(last_hash)`
      : `${insert} ON CONFLICT (org_id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash`;
  }

  /**
   * The state rows of n orgs, locked. Sorted, so concurrent writers lock org rows in one order
   * and cannot deadlock on them.
   */
  selectStates(n: number): string {
    return `SELECT ${STATE_COLUMNS} FROM ${ORG_STATE_TABLE} WHERE org_id IN (${placeholders(n)}) ORDER BY org_id${this.lock}`;
  }

  /**
   * Adds n rows' counts to `auditkit_activity_rollup`, creating the rows that are missing. The
   * purge passes negative counts (and then drops the rows it brought to zero).
   */
  addToRollup(n: number): string {
    const insert = rollupInsert(n);
    return this.dialect === 'mysql'
      ? `${insert} ON DUPLICATE KEY UPDATE events = events + VALUES(events)`
      : `${insert} ON CONFLICT (org_id, hour_start, category) DO UPDATE SET events = events + excluded.events`;
  }

  /** The stored rows of n event ids. */
  selectStored(n: number): string {
    return `SELECT * FROM ${EVENTS_TABLE} WHERE id IN (${placeholders(n)})`;
  }

  /** An org's last event, as a state row. */
  lastEvent(): string {
    return `SELECT org_id, seq AS last_seq, hash AS last_hash FROM ${EVENTS_TABLE} WHERE org_id = ? ORDER BY seq DESC LIMIT 1${this.lock}`;
  }

  /**
   * The INSERTs of a plan's rows, the rollup's counts and, with `saveStates`, the upsert of its
   * orgs' states.
   */
  writes(plan: BatchPlan, saveStates = true): Statement[] {
    const statements: Statement[] = [];
    for (let i = 0; i < plan.eventRows.length; i += EVENT_CHUNK) {
      const chunk = plan.eventRows.slice(i, i + EVENT_CHUNK);
      statements.push({ sql: insertEventsSql(chunk.length), params: flatten(chunk) });
    }
    for (let i = 0; i < plan.termRows.length; i += TERM_CHUNK) {
      const chunk = plan.termRows.slice(i, i + TERM_CHUNK);
      statements.push({ sql: insertTermsSql(chunk.length), params: flatten(chunk) });
    }
    for (let i = 0; i < plan.rollupRows.length; i += ROLLUP_CHUNK) {
      const chunk = plan.rollupRows.slice(i, i + ROLLUP_CHUNK);
      statements.push({ sql: this.addToRollup(chunk.length), params: flatten(chunk) });
    }
    if (saveStates && plan.states.length > 0) {
      statements.push({
        sql: this.saveStates(plan.states.length),
        params: plan.states.flatMap(([org, s]) => [org, s.lastSeq, s.lastHash]),
      });
    }
    return statements;
  }
}

/** One statement's worth of SQL and parameters from several, for a multi-statement packet. */
export function joinStatements(
  statements: Statement[],
  head: string[] = [],
  tail: string[] = [],
): Statement {
  const sql = [...head];
  const params: Value[] = [];
  for (const st of statements) {
    sql.push(st.sql);
    for (const v of st.params) params.push(v);
  }
  sql.push(...tail);
  return { sql: sql.join(';\n'), params };
}

function flatten(rows: Value[][]): Value[] {
  const out: Value[] = [];
  for (const row of rows) for (const v of row) out.push(v);
  return out;
}
