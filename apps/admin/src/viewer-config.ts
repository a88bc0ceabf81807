import {
  AUDIT_VIEWER_COLUMNS,
  AuditViewerColumn,
  AuditViewerOptions,
  isViewerOrigin,
} from '@auditkit/nestjs/admin';
import { ConfigError } from './env';

/**
 * The web UI's target links and extra columns (docs/viewer.md) from `AUDITKIT_VIEWER_TARGET_LINKS`
 * (a JSON object of target type to URL template) and `AUDITKIT_VIEWER_COLUMNS` (a comma-separated
 * list). The templates themselves are checked by the admin plugin at start.
 */
export function loadViewerConfig(env: NodeJS.ProcessEnv): AuditViewerOptions {
  const viewer: AuditViewerOptions = {};
  const links = env.AUDITKIT_VIEWER_TARGET_LINKS;
  if (links) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(links);
    } catch {
      parsed = undefined;
    }
    if (
      !parsed ||
      typeof parsed !== 'object' ||
      Array.isArray(parsed) ||
      Object.values(parsed).some((v) => typeof v !== 'string')
    ) {
      throw new ConfigError(
        'AUDITKIT_VIEWER_TARGET_LINKS must be a JSON object of target type to URL template, e.g. {"user":"/users/{id}"}',
      );
    }
    viewer.targetLinks = parsed as Record<string, string>;
  }
  const columns = env.AUDITKIT_VIEWER_COLUMNS;
  if (columns) {
    const list = columns.split(',').map((c) => c.trim());
    const unknown = list.find((c) => !(AUDIT_VIEWER_COLUMNS as readonly string[]).includes(c));
    if (unknown !== undefined) {
      throw new ConfigError(
        `AUDITKIT_VIEWER_COLUMNS has the unknown column "${unknown}"; choose from ${AUDIT_VIEWER_COLUMNS.join(', ')}`,
      );
    }
    viewer.columns = list as AuditViewerColumn[];
  }
  return viewer;
}

/**
 * The origins whose pages may embed the viewer (CORS, docs/embedding.md) from
 * `AUDITKIT_VIEWER_ALLOWED_ORIGINS`, comma-separated; none when unset. Each is checked here, so
 * that the error names the variable rather than the plugin's option.
 */
export function loadViewerOrigins(env: NodeJS.ProcessEnv): string[] {
  const raw = env.AUDITKIT_VIEWER_ALLOWED_ORIGINS;
  if (!raw?.trim()) return [];
  const origins = raw.split(',').map((o) => o.trim());
  const bad = origins.find((o) => !isViewerOrigin(o));
  if (bad !== undefined) {
    throw new ConfigError(
      `AUDITKIT_VIEWER_ALLOWED_ORIGINS has ${JSON.stringify(bad)}, not an origin: give scheme, host and port only, e.g. https://app.example.com`,
    );
  }
  return origins;
}

/**
 * What `--demo` shows when the variables are unset: each user target links to the log filtered to
 * that user's own activity, a page the admin app has, and the targets get a column.
 */
export const DEMO_VIEWER: AuditViewerOptions = {
  targetLinks: { user: '/?org={org}&actor={id}' },
  columns: ['targets', 'category'],
};
