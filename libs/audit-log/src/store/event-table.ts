// The layout of the tables the write path and the readers share: events, their exact terms,
// each org's sequence state and the hourly activity rollup. Everything that names their columns in code (the writers' INSERTs,
// the row type and mappers, the verifier's column list, the entities, the benches) takes them
// from here. The migrations in ./migrations keep their DDL written out: they are history, and
// must create tomorrow what they created yesterday whatever this file says by then.
// `event-table.spec.ts` checks on both databases that this layout is what they create.

/** One column: its SQL name and its type as the migrations declare it. */
export interface ColumnSpec<
  Name extends string = string,
  MysqlType extends string = string,
  Nullable extends boolean = boolean,
> {
  readonly column: Name;
  /** The MySQL type, without character set or NULL (`VARCHAR(64)`, `BIGINT UNSIGNED`). */
  readonly mysql: MysqlType;
  /** Text compared byte for byte in an `ascii_bin` column, rather than the table's charset. */
  readonly ascii: boolean;
  readonly nullable: Nullable;
  /** The SQLite type: every integer is INTEGER, every string TEXT. */
  readonly sqlite: 'INTEGER' | 'TEXT';
}

function col<N extends string, M extends string, Null extends boolean = false>(
  column: N,
  mysql: M,
  options: { ascii?: boolean; nullable?: Null } = {},
): ColumnSpec<N, M, Null> {
  return {
    column,
    mysql,
    ascii: options.ascii ?? false,
    nullable: (options.nullable ?? false) as Null,
    sqlite: /INT\b/.test(mysql) ? 'INTEGER' : 'TEXT',
  };
}

const ascii = { ascii: true } as const;
const asciiOrNull = { ascii: true, nullable: true } as const;
const orNull = { nullable: true } as const;

/**
 * `auditkit_events`, keyed by the entity's property names, in column order. Ids, org ids and
 * codes are ASCII, compared byte for byte; names keep the table's utf8mb4_bin.
 */
export const EVENTS_LAYOUT = {
  name: 'auditkit_events',
  charset: 'utf8mb4',
  columns: {
    id: col('id', 'CHAR(26)', ascii),
    orgId: col('org_id', 'VARCHAR(64)', ascii),
    seq: col('seq', 'BIGINT UNSIGNED'),
    occurredAt: col('occurred_at', 'BIGINT'),
    recordedAt: col('recorded_at', 'BIGINT'),
    action: col('action', 'VARCHAR(128)', ascii),
    category: col('category', 'VARCHAR(128)', ascii),
    actorId: col('actor_id', 'VARCHAR(255)'),
    actorType: col('actor_type', 'VARCHAR(64)'),
    actorName: col('actor_name', 'VARCHAR(1024)', orNull),
    actorEmail: col('actor_email', 'VARCHAR(320)', orNull),
    targets: col('targets', 'MEDIUMTEXT'),
    siteId: col('site_id', 'VARCHAR(255)', orNull),
    siteName: col('site_name', 'VARCHAR(1024)', orNull),
    product: col('product', 'VARCHAR(64)', orNull),
    ip: col('ip', 'VARCHAR(45)', asciiOrNull),
    userAgent: col('user_agent', 'VARCHAR(1024)', orNull),
    outcome: col('outcome', 'VARCHAR(16)', ascii),
    metadata: col('metadata', 'MEDIUMTEXT'),
    hash: col('hash', 'CHAR(64)', asciiOrNull),
    // The hash format (null: format 0) and the salt of the personal-field commitments.
    hashV: col('hash_v', 'SMALLINT', orNull),
    salt: col('salt', 'VARCHAR(22)', asciiOrNull),
    // Where the IP is, resolved when the event was recorded (null without a resolver, for
    // unknown addresses and on older events). Derived data, outside the hash.
    countryName: col('country_name', 'VARCHAR(128)', orNull),
    regionName: col('region_name', 'VARCHAR(128)', orNull),
    city: col('city', 'VARCHAR(128)', orNull),
  },
} as const;

/** `auditkit_event_terms`: one row per hashed exact term of an event (its primary key). */
export const TERMS_LAYOUT = {
  name: 'auditkit_event_terms',
  charset: 'ascii',
  columns: {
    orgId: col('org_id', 'VARCHAR(64)', ascii),
    term: col('term', 'CHAR(32)', ascii),
    occurredAt: col('occurred_at', 'BIGINT'),
    eventId: col('event_id', 'CHAR(26)', ascii),
  },
} as const;

/** `auditkit_org_state`: where each org's sequence and chain stand. */
export const ORG_STATE_LAYOUT = {
  name: 'auditkit_org_state',
  charset: null,
  columns: {
    orgId: col('org_id', 'VARCHAR(64)', ascii),
    lastSeq: col('last_seq', 'BIGINT UNSIGNED'),
    lastHash: col('last_hash', 'CHAR(64)', asciiOrNull),
  },
} as const;

/**
 * `auditkit_activity_rollup`: how many events each org has per hour (`hour_start`, epoch ms of
 * the UTC hour of `occurred_at`) and category. The writers add a batch's counts in the same
 * transaction as its events and the purge takes them off with the events it deletes, so it
 * always counts exactly the stored events; the activity histogram reads it instead of them.
 */
export const ROLLUP_LAYOUT = {
  name: 'auditkit_activity_rollup',
  charset: 'ascii',
  columns: {
    orgId: col('org_id', 'VARCHAR(64)', ascii),
    hourStart: col('hour_start', 'BIGINT'),
    category: col('category', 'VARCHAR(128)', ascii),
    events: col('events', 'BIGINT'),
  },
} as const;

/** The rollup's time grain: one row per org, category and UTC hour. */
export const ROLLUP_GRAIN_MS = 3_600_000;

/** A table of the layout. */
export interface TableLayout {
  readonly name: string;
  /** The table's default MySQL character set, which its non-ASCII text columns have. */
  readonly charset: string | null;
  readonly columns: Readonly<Record<string, ColumnSpec>>;
}

export const EVENTS_TABLE = EVENTS_LAYOUT.name;
export const TERMS_TABLE = TERMS_LAYOUT.name;
export const ORG_STATE_TABLE = ORG_STATE_LAYOUT.name;
export const ROLLUP_TABLE = ROLLUP_LAYOUT.name;

type Columns<T extends TableLayout> = T['columns'][keyof T['columns']];

/** The SQL names of a table's columns, in order. */
export function columnNames<T extends TableLayout>(table: T): Columns<T>['column'][] {
  return Object.values(table.columns).map((c) => c.column) as Columns<T>['column'][];
}

/** A column of `auditkit_events` by its SQL name. */
export type EventColumn = Columns<typeof EVENTS_LAYOUT>['column'];
/** A property of the event entity, which names a column of `auditkit_events`. */
export type EventProperty = keyof typeof EVENTS_LAYOUT.columns;

/** Every column of `auditkit_events`, in order: the writers' INSERT and the readers' SELECT. */
export const EVENT_COLUMNS: readonly EventColumn[] = columnNames(EVENTS_LAYOUT);
/** The entity properties of `EVENT_COLUMNS`, in the same order. */
export const EVENT_PROPERTIES = Object.keys(EVENTS_LAYOUT.columns) as EventProperty[];
export const TERM_COLUMNS = columnNames(TERMS_LAYOUT);
export const ORG_STATE_COLUMNS = columnNames(ORG_STATE_LAYOUT);

// What the drivers hand back: BIGINT may come as a string (mysql2 past 2^53), NULL as null.
type RowValue<C> =
  C extends ColumnSpec<string, infer M, infer Null>
    ? | (M extends `${string}INT${string}` ? number | string : string)
      | (Null extends true ? null : never)
    : never;

/** A row of a table of the layout, as `SELECT *` returns it: keyed by SQL column name. */
export type RowOf<T extends TableLayout> = {
  [C in Columns<T> as C['column']]: RowValue<C>;
};

/** `INSERT INTO table (columns) VALUES (?, ...), ...` for `rows` rows of the table. */
export function insertSql(table: TableLayout, rows: number): string {
  const names = columnNames(table);
  const row = `(${names.map(() => '?').join(', ')})`;
  return `INSERT INTO ${table.name} (${names.join(', ')}) VALUES ${new Array(rows).fill(row).join(', ')}`;
}
