import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { dialectOf, StoreDialect } from '../store/dialect';
import { ROLLUP_GRAIN_MS, ROLLUP_TABLE } from '../store/event-table';
import { EventFilters } from './event-filters';
import { EventQueryService } from './event-query.service';

/** The width of a histogram bucket. */
export type HistogramInterval = 'hour' | 'day';

/** Bucket widths in ms. */
export const HISTOGRAM_INTERVAL_MS: Record<HistogramInterval, number> = {
  hour: 3_600_000,
  day: 86_400_000,
};

/** The most buckets one histogram answers. */
export const HISTOGRAM_MAX_BUCKETS = 1000;

/** What to count: an org's events matching `filters`, within `from`..`to` (inclusive, ms). */
export interface HistogramQuery {
  filters: EventFilters;
  from: number;
  to: number;
  interval: HistogramInterval;
  /** Buckets start at midnight (or the hour) of this UTC offset, in minutes. */
  offsetMinutes: number;
  /** Categories every bucket lists, at 0 when none of their events fell in it. */
  categories: readonly string[];
}

/** One bucket: `start` inclusive, `end` exclusive, epoch ms. */
export interface HistogramBucket {
  start: number;
  end: number;
  total: number;
  byCategory: Record<string, number>;
}

/** The buckets, oldest first, and what they were read from. */
export interface EventHistogram {
  buckets: HistogramBucket[];
  total: number;
  /**
   * `rollup`: the hourly rollup (whole hours) and the events of the partial hours at the edges;
   * `events`: the matching events themselves, grouped.
   */
  source: 'rollup' | 'events';
}

/** Where a range's buckets start and how many there are. */
export function histogramBuckets(
  from: number,
  to: number,
  interval: HistogramInterval,
  offsetMinutes: number,
): { first: number; count: number } {
  const width = HISTOGRAM_INTERVAL_MS[interval];
  const offset = offsetMinutes * 60_000;
  const first = Math.floor((from + offset) / width) * width - offset;
  const last = Math.floor((to + offset) / width) * width - offset;
  return { first, count: (last - first) / width + 1 };
}

/**
 * Whether a histogram can read the rollup: it counts by org, UTC hour and category only, so the
 * filters may narrow time and category and nothing else, and buckets must start on whole UTC
 * hours (an offset of whole hours).
 */
export function readsRollup(filters: EventFilters, offsetMinutes: number): boolean {
  const narrowed = Object.entries(filters).filter(([, v]) => v !== undefined);
  return (
    offsetMinutes % 60 === 0 && narrowed.every(([k]) => ['from', 'to', 'category'].includes(k))
  );
}

/**
 * Counts an org's events per hour or day and category for the activity chart. Unfiltered (or
 * time and category only) it sums the hourly rollup, which the writers and the purge keep in
 * step with the events (store/event-table.ts): a 30-day range reads at most 720 rows per
 * category, whatever the org's size. Other filters group the matching events on the same
 * index as GET events, in time proportional to the events they match in the range.
 */
@Injectable()
export class EventHistogramService {
  private readonly dialect: StoreDialect;

  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly events: EventQueryService,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  async histogram(orgId: string, q: HistogramQuery): Promise<EventHistogram> {
    const width = HISTOGRAM_INTERVAL_MS[q.interval];
    const { first, count } = histogramBuckets(q.from, q.to, q.interval, q.offsetMinutes);
    const buckets: HistogramBucket[] = [];
    for (let i = 0; i < count; i++) {
      const byCategory: Record<string, number> = {};
      for (const c of q.categories) byCategory[c] = 0;
      buckets.push({
        start: first + i * width,
        end: first + (i + 1) * width,
        total: 0,
        byCategory,
      });
    }
    const add = (rows: { b: number | string; category: string; n: number | string }[]) => {
      for (const r of rows) {
        const bucket = buckets[Number(r.b)];
        if (!bucket) continue;
        const n = Number(r.n);
        bucket.byCategory[r.category] = (bucket.byCategory[r.category] ?? 0) + n;
        bucket.total += n;
      }
    };
    const range = { ...q.filters, from: q.from, to: q.to };
    const rollup = readsRollup(q.filters, q.offsetMinutes);
    if (!rollup) {
      add(await this.countEvents(orgId, range, first, width));
    } else {
      // Whole hours come from the rollup; the part-hours at either edge from the events.
      const hourFrom = Math.ceil(q.from / ROLLUP_GRAIN_MS) * ROLLUP_GRAIN_MS;
      const hourTo = Math.floor((q.to + 1) / ROLLUP_GRAIN_MS) * ROLLUP_GRAIN_MS;
      if (hourFrom >= hourTo) {
        add(await this.countEvents(orgId, range, first, width));
      } else {
        add(await this.countRollup(orgId, q.filters.category, hourFrom, hourTo, first, width));
        if (q.from < hourFrom)
          add(await this.countEvents(orgId, { ...range, to: hourFrom - 1 }, first, width));
        if (hourTo <= q.to)
          add(await this.countEvents(orgId, { ...range, from: hourTo }, first, width));
      }
    }
    return {
      buckets,
      total: buckets.reduce((n, b) => n + b.total, 0),
      source: rollup ? 'rollup' : 'events',
    };
  }

  /** `(column - first) / width` as a whole number: the bucket index (never negative here). */
  private bucketOf(column: string, first: number, width: number): string {
    const delta = `(${column} - (${Math.trunc(first)}))`;
    return this.dialect === 'mysql'
      ? `${delta} DIV ${Math.trunc(width)}`
      : `${delta} / ${Math.trunc(width)}`;
  }

  private countRollup(
    orgId: string,
    category: string | undefined,
    hourFrom: number,
    hourTo: number,
    first: number,
    width: number,
  ): Promise<{ b: number; category: string; n: number }[]> {
    const params: unknown[] = [orgId, hourFrom, hourTo];
    let where = 'org_id = ? AND hour_start >= ? AND hour_start < ?';
    if (category !== undefined) {
      where += ' AND category = ?';
      params.push(category);
    }
    return this.dataSource.query(
      `SELECT ${this.bucketOf('hour_start', first, width)} AS b, category, SUM(events) AS n FROM ${ROLLUP_TABLE} WHERE ${where} GROUP BY b, category`,
      params,
    );
  }

  /**
   * The matching events grouped by bucket and category. Exact terms are matched on their hash
   * alone, without the re-check of the value that pages make: a 128-bit collision is not worth
   * reading every row for.
   */
  private countEvents(
    orgId: string,
    filters: EventFilters,
    first: number,
    width: number,
  ): Promise<{ b: number; category: string; n: number }[]> {
    const { from, where, params, time } = this.events.filtered(orgId, filters);
    const select =
      this.dialect === 'mysql' && filters.q !== undefined ? 'SELECT STRAIGHT_JOIN' : 'SELECT';
    return this.dataSource.query(
      `${select} ${this.bucketOf(time, first, width)} AS b, e.category AS category, COUNT(*) AS n FROM ${from} WHERE ${where.join(' AND ')} GROUP BY b, e.category`,
      params,
    );
  }
}
