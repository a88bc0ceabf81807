/**
 * The web UI's extension points (`AuditAdminModuleOptions.viewer`, docs/viewer.md): where a
 * target links to in the host's own app, and which extra columns the log shows.
 *
 * They live in the admin plugin's options, not beside `actions` in `AuditLogModule`: the core
 * records events and also runs in apps without the viewer (workers, ingest-only services), while
 * links and columns are only ever read by the viewer this plugin serves. One place, checked once.
 */

/** The extra columns the log can show after its Date, Actor, Action and Details. */
export const AUDIT_VIEWER_COLUMNS = [
  'targets',
  'category',
  'site',
  'product',
  'ip',
  'location',
  'userAgent',
  'outcome',
] as const;

/** One of {@link AUDIT_VIEWER_COLUMNS}. */
export type AuditViewerColumn = (typeof AUDIT_VIEWER_COLUMNS)[number];

/** The placeholders a target link template may hold. */
export const TARGET_LINK_PLACEHOLDERS = ['id', 'type', 'org'] as const;

/** Options of the web UI (`AuditAdminModuleOptions.viewer`). */
export interface AuditViewerOptions {
  /**
   * Per target type, the address of that object in the host's app: an absolute http(s) URL or a
   * root-relative path, with `{id}`, `{type}` and `{org}` filled in URL-encoded, e.g.
   * `{ user: '/admin/users/{id}' }`. Targets of other types are shown as text. @default {}
   */
  targetLinks?: Record<string, string>;
  /**
   * Extra columns of the log, in this order, after Date, Actor, Action and Details; each one of
   * {@link AUDIT_VIEWER_COLUMNS}. @default []
   */
  columns?: AuditViewerColumn[];
}

/** `viewer` checked, with its defaults: what GET viewer-config answers. */
export interface ResolvedViewerOptions {
  targetLinks: Record<string, string>;
  columns: AuditViewerColumn[];
}

const PLACEHOLDER = /\{(?:id|type|org)\}/g;
const TYPE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Checks one template: http(s) or root-relative (not `//host`, which is protocol-relative, nor a
 * backslash, which browsers read as a slash), and no placeholder but `{id}`, `{type}`, `{org}`.
 */
function checkTemplate(type: string, template: unknown): string {
  const name = `options.viewer.targetLinks.${type}`;
  if (typeof template !== 'string' || template.length === 0 || template.length > 2048) {
    throw new Error(`${name} must be a URL template of 1 to 2048 characters`);
  }
  if (/[\s\\]/.test(template) || [...template].some((c) => c < ' ' || c === '\u007f')) {
    throw new Error(`${name} must not contain spaces, control characters or backslashes`);
  }
  for (const [placeholder, key] of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!(TARGET_LINK_PLACEHOLDERS as readonly string[]).includes(key)) {
      throw new Error(
        `${name} has the placeholder ${placeholder}; only {id}, {type} and {org} are filled in`,
      );
    }
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) {
    throw new Error(`${name} has a "{" or "}" that is not part of {id}, {type} or {org}`);
  }
  const relative = template.startsWith('/') && !template.startsWith('//');
  if (!relative) {
    let url: URL | undefined;
    try {
      url = new URL(template.replace(PLACEHOLDER, 'x'));
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || !/^https?:\/\//i.test(template)) {
      throw new Error(
        `${name} must be an absolute http(s) URL or a path starting with "/" (got ${JSON.stringify(template.slice(0, 80))})`,
      );
    }
    // A target's id must not choose the site the link leads to.
    if (new URL(template.replace(PLACEHOLDER, 'y')).origin !== url.origin) {
      throw new Error(`${name} may use placeholders in the path, query or fragment, not the host`);
    }
  }
  return template;
}

/** Checks `viewer` once, at start: a wrong template or column stops the app with its name. */
export function resolveViewerOptions(
  viewer: AuditViewerOptions | undefined,
): ResolvedViewerOptions {
  if (viewer === undefined) return { targetLinks: {}, columns: [] };
  if (viewer === null || typeof viewer !== 'object' || Array.isArray(viewer)) {
    throw new Error('options.viewer must be an object');
  }
  const entries: [string, string][] = [];
  const links: unknown = viewer.targetLinks ?? {};
  if (links === null || typeof links !== 'object' || Array.isArray(links)) {
    throw new Error('options.viewer.targetLinks must be an object of target type to URL template');
  }
  for (const [type, template] of Object.entries(links)) {
    if (!TYPE.test(type)) {
      throw new Error(
        `options.viewer.targetLinks has the target type ${JSON.stringify(type)}; a type is 1 to 64 letters, digits or _.:-`,
      );
    }
    entries.push([type, checkTemplate(type, template)]);
  }
  const columns: unknown = viewer.columns ?? [];
  if (!Array.isArray(columns)) throw new Error('options.viewer.columns must be a list');
  const seen = new Set<string>();
  for (const column of columns) {
    if (!(AUDIT_VIEWER_COLUMNS as readonly unknown[]).includes(column)) {
      throw new Error(
        `options.viewer.columns has the unknown column ${JSON.stringify(column)}; choose from ${AUDIT_VIEWER_COLUMNS.join(', ')}`,
      );
    }
    if (seen.has(column as string)) {
      throw new Error(`options.viewer.columns lists ${JSON.stringify(column)} twice`);
    }
    seen.add(column as string);
  }
  // fromEntries defines own properties: a type named `__proto__` is kept, not a prototype.
  return { targetLinks: Object.fromEntries(entries), columns: columns as AuditViewerColumn[] };
}
