import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, flag, int, url } from './env';
import { IntegrityConfig, loadIntegrityConfig } from './integrity-config';
import { loadSignInConfig, SignInConfig } from './oidc-config';
import { loadViewerConfig, loadViewerOrigins } from './viewer-config';
import type { AuditViewerOptions } from '@auditkit/nestjs/admin';

export { ConfigError };

/** The admin app's configuration: docs/api.md section 2, read from the environment in one place. */
export interface AdminConfig {
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  smtpUrl?: string;
  mailFrom: string;
  publicUrl: string;
  jwtSecret?: string;
  jwksUrl?: string;
  retentionDays: number;
  exportMaxRows: number;
  exportLinkTtlHours: number;
  /** Longest admin UI session, in hours (`AUDITKIT_SESSION_TTL_HOURS`). */
  sessionTtlHours: number;
  /**
   * Rate limits per user and org, and per bearer token for the read routes (`false`: off); unset
   * ones keep the library's defaults.
   */
  rateLimits: {
    exports?: RateLimitSetting;
    downloads?: RateLimitSetting;
    ingest?: RateLimitSetting;
    reads?: RateLimitSetting;
    /** GET events per bearer token (`AUDITKIT_TOKEN_READ_RATE_LIMIT`). */
    tokenReads?: RateLimitSetting;
    /** GET events-stream per bearer token (`AUDITKIT_TOKEN_STREAM_RATE_LIMIT`). */
    tokenStream?: RateLimitSetting;
  };
  /** How people sign in to the web UI: OpenID Connect, a pasted token. */
  signIn: SignInConfig;
  /** Checkpoint signing key, witnesses and schedule. */
  integrity: IntegrityConfig;
  /** The web UI's target links and extra columns (`AUDITKIT_VIEWER_*`). */
  viewer: AuditViewerOptions;
  /** Origins whose pages may embed the viewer (`AUDITKIT_VIEWER_ALLOWED_ORIGINS`). */
  viewerOrigins: string[];
  /** Serve HTTP in this process. */
  http: boolean;
  /** Prometheus metrics (README "Metrics"). */
  metrics: MetricsConfig;
  /** Resolve events' IPs to country, region and city with the bundled GeoIP data. */
  geoip: boolean;
  /** Process export jobs in this process. */
  worker: boolean;
  /** Destinations (docs/destinations.md): key of their secrets, delivery in this process. */
  destinations: DestinationsConfig;
  /** Run the retention schedule in this process. */
  scheduler: boolean;
  dataDir: string;
  production: boolean;
  /** Configuration that works but should be looked at; logged at start. */
  warnings: string[];
}

/** `AUDITKIT_METRICS`, `AUDITKIT_METRICS_PORT`, `AUDITKIT_METRICS_TOKEN`. */
export interface MetricsConfig {
  /** Collect and serve metrics. */
  enabled: boolean;
  /** Serve them on this port instead of `PORT`. */
  port?: number;
  /** Bearer token a scrape must carry. */
  token?: string;
}

/** Metrics are on by default, at `/metrics` on the HTTP port without a token. */
function metricsConfig(
  env: NodeJS.ProcessEnv,
  port: number,
  http: boolean,
  warnings: string[],
): MetricsConfig {
  const enabled = flag(env, 'AUDITKIT_METRICS', true);
  const metricsPort = env.AUDITKIT_METRICS_PORT
    ? int(env, 'AUDITKIT_METRICS_PORT', 0, 1, 65535)
    : undefined;
  if (metricsPort !== undefined && metricsPort === port) {
    throw new ConfigError('AUDITKIT_METRICS_PORT must differ from PORT');
  }
  const token = env.AUDITKIT_METRICS_TOKEN || undefined;
  if (token !== undefined && token.length < 16) {
    throw new ConfigError('AUDITKIT_METRICS_TOKEN must be at least 16 characters');
  }
  if (enabled && !http && metricsPort === undefined) {
    warnings.push('Metrics are not served without HTTP; set AUDITKIT_METRICS_PORT to scrape them');
  }
  return { enabled, port: metricsPort, token };
}

/** `AUDITKIT_DESTINATIONS_*`. */
export interface DestinationsConfig {
  /** Encrypts destination secrets at rest (`AUDITKIT_DESTINATIONS_KEY`, else the JWT secret). */
  key: string;
  /** Deliver events to destinations from this process. */
  worker: boolean;
  pollIntervalMs: number;
  batchSize: number;
  /** Where `file` destinations write, one directory per org. */
  fileDir: string;
}

/**
 * The destinations' secret key: its own variable, or else the JWT secret, from which the
 * library derives a key of its own (HKDF). Its own variable lets the JWT secret be rotated
 * without losing the stored webhook secrets and HEC tokens.
 */
function destinationsConfig(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  jwtSecret: string,
  worker: boolean,
  warnings: string[],
  production: boolean,
): DestinationsConfig {
  const own = env.AUDITKIT_DESTINATIONS_KEY || undefined;
  if (own !== undefined && own.length < 32) {
    throw new ConfigError('AUDITKIT_DESTINATIONS_KEY must be at least 32 characters');
  }
  if (!own && production) {
    warnings.push(
      'AUDITKIT_DESTINATIONS_KEY is not set: destination secrets are encrypted with a key derived from AUDITKIT_JWT_SECRET, and changing that secret makes them unreadable',
    );
  }
  return {
    key: own ?? jwtSecret,
    worker: flag(env, 'AUDITKIT_DESTINATIONS_WORKER', worker),
    pollIntervalMs: int(env, 'AUDITKIT_DESTINATIONS_POLL_MS', 200, 10, 60_000),
    batchSize: int(env, 'AUDITKIT_DESTINATIONS_BATCH_SIZE', 500, 1, 10_000),
    fileDir: resolve(env.AUDITKIT_DESTINATIONS_FILE_DIR || `${dataDir}/destinations`),
  };
}

/** `limit` requests per `windowMs`, or `false` for no limit. */
export type RateLimitSetting = { limit: number; windowMs: number } | false;

const WINDOW_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10/15m` (10 per 15 minutes), `600/m`, `5/1h`, or `off`; unset: undefined. */
function rateLimit(env: NodeJS.ProcessEnv, name: string): RateLimitSetting | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (/^(off|false)$/i.test(raw)) return false;
  const m = /^(\d{1,9})\/(\d{0,9})([smhd])$/.exec(raw);
  const limit = m ? Number(m[1]) : 0;
  const windowMs = m ? Number(m[2] || '1') * WINDOW_UNITS[m[3]] : 0;
  if (!m || limit < 1 || windowMs < 1000 || windowMs > 30 * 86_400_000) {
    throw new ConfigError(
      `${name} must look like 10/15m (requests per window of s, m, h or d, at most 30d) or off (got "${raw}")`,
    );
  }
  return { limit, windowMs };
}

/**
 * Reads and checks the environment. In development a missing AUDITKIT_JWT_SECRET is made once
 * and kept in ./data/jwt-secret, so tokens minted by the CLI keep working across restarts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  const production = env.NODE_ENV === 'production';
  const port = int(env, 'PORT', 3000, 0, 65535);
  const dataDir = resolve(env.AUDITKIT_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || `sqlite:${dataDir}/auditkit.db`;
  if (!/^(mysql|mariadb):\/\/|^sqlite:/i.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be mysql://user:pass@host:3306/db or sqlite:PATH');
  }
  if (/^(mysql|mariadb):/i.test(databaseUrl)) url(env, 'DATABASE_URL', ['mysql:', 'mariadb:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const smtpUrl = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const publicUrl = (
    url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`
  ).replace(/\/+$/, '');
  const jwksUrl = url(env, 'AUDITKIT_JWKS_URL', ['http:', 'https:']);
  let jwtSecret = env.AUDITKIT_JWT_SECRET || undefined;
  const warnings: string[] = [];
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    // HS256 works with any key, and docs/api.md sets no minimum; a short one is weak, not invalid.
    warnings.push('AUDITKIT_JWT_SECRET is shorter than 32 characters; use a long random secret');
  }
  if (!jwtSecret && production) {
    throw new ConfigError('AUDITKIT_JWT_SECRET is required when NODE_ENV=production');
  }
  if (!jwtSecret) jwtSecret = devSecret(dataDir);
  const http = flag(env, 'AUDITKIT_HTTP', true);
  const worker = flag(env, 'AUDITKIT_WORKER', true);
  return {
    port,
    databaseUrl,
    redisUrl,
    smtpUrl,
    mailFrom: env.MAIL_FROM || 'AuditKit <no-reply@localhost>',
    publicUrl,
    jwtSecret,
    jwksUrl,
    retentionDays: int(env, 'AUDITKIT_RETENTION_DAYS', 180, 1, 36500),
    exportMaxRows: int(env, 'AUDITKIT_EXPORT_MAX_ROWS', 10000, 1, 10_000_000),
    exportLinkTtlHours: int(env, 'AUDITKIT_EXPORT_LINK_TTL_HOURS', 24, 1, 24 * 365),
    sessionTtlHours: int(env, 'AUDITKIT_SESSION_TTL_HOURS', 12, 1, 24 * 365),
    rateLimits: {
      exports: rateLimit(env, 'AUDITKIT_EXPORT_RATE_LIMIT'),
      downloads: rateLimit(env, 'AUDITKIT_DOWNLOAD_RATE_LIMIT'),
      ingest: rateLimit(env, 'AUDITKIT_INGEST_RATE_LIMIT'),
      reads: rateLimit(env, 'AUDITKIT_READ_RATE_LIMIT'),
      tokenReads: rateLimit(env, 'AUDITKIT_TOKEN_READ_RATE_LIMIT'),
      tokenStream: rateLimit(env, 'AUDITKIT_TOKEN_STREAM_RATE_LIMIT'),
    },
    signIn: loadSignInConfig(env, publicUrl, production),
    integrity: loadIntegrityConfig(env, dataDir, production),
    viewer: loadViewerConfig(env),
    viewerOrigins: loadViewerOrigins(env),
    http,
    metrics: metricsConfig(env, port, http, warnings),
    geoip: flag(env, 'AUDITKIT_GEOIP', true),
    worker,
    destinations: destinationsConfig(env, dataDir, jwtSecret, worker, warnings, production),
    scheduler: flag(env, 'AUDITKIT_SCHEDULER', true),
    dataDir,
    production,
    warnings,
  };
}

function devSecret(dataDir: string): string {
  const file = `${dataDir}/jwt-secret`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}
