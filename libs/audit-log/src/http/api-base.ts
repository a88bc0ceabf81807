import type { Request } from 'express';

/** The path prefix the admin API is served under (`/admin/v1`, or `/audit/admin/v1` in a host). */
export function apiBase(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const i = url.indexOf('/admin/v1');
  return i < 0 ? '/admin/v1' : url.slice(0, i + '/admin/v1'.length);
}
