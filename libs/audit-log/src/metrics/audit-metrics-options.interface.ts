import type { Registry } from 'prom-client';

/** Options of `AuditMetricsModule.forRoot()` / `forRootAsync()`. */
export interface AuditMetricsModuleOptions {
  /**
   * The registry the metrics are registered in: pass your own to scrape them with the rest of
   * your app's metrics (then usually with `path: false`). The module removes its metrics from it
   * when the app closes.
   * @default a new Registry of the module's own (never prom-client's global one)
   */
  registry?: Registry;
  /** Prefix of every metric name. @default 'auditkit_' */
  prefix?: string;
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event loop lag), unprefixed
   * as is usual. Leave off when your registry collects them already.
   * @default false
   */
  defaultMetrics?: boolean;
  /**
   * Where the metrics are served in the text format, or `false` to serve nothing (scrape your
   * own registry). On the app's HTTP server unless `port` is given; outside guards, interceptors
   * and rate limits, and never recorded as an activity. Under the app's global prefix, if any.
   * @default '/metrics'
   */
  path?: string | false;
  /**
   * Serve `path` on a separate HTTP server (node:http) on this port instead of the app's, e.g.
   * one that only the Prometheus network reaches. `0` picks a free port (tests).
   * @default undefined: the app's own HTTP server
   */
  port?: number;
  /** Address the separate server binds to (with `port`). @default all interfaces */
  host?: string;
  /**
   * A bearer token the scraper must send (`Authorization: Bearer <token>`); compared in
   * constant time. At least 16 characters.
   * @default undefined: no token
   */
  token?: string;
  /**
   * Longest a scrape waits for figures read from the database (export jobs by state). A scrape
   * never fails for them: while the database is slow or down they are left out.
   * @default 1000
   */
  collectTimeoutMs?: number;
}

/** Options with defaults filled in. */
export interface ResolvedAuditMetricsOptions {
  registry?: Registry;
  prefix: string;
  defaultMetrics: boolean;
  path: string | false;
  port?: number;
  host?: string;
  token?: string;
  collectTimeoutMs: number;
}
