/*
 * The REST API client. Every request goes to `admin/v1/` under AuditKit's mount (the
 * element's `src`, by default where its modules were loaded from), so the UI works at `/` or
 * under any mount path such as `/audit/`, and from a host's page on another origin.
 *
 * A viewer token travels in the Authorization header and no cookie is sent with it; otherwise
 * the session cookie does the work and unsafe methods carry the CSRF token.
 */

import { context, mountUrl } from './context.js';

const API = 'admin/v1/';
const CSRF_COOKIE = 'auditkit_csrf';
const CSRF_HEADER = 'X-CSRF-Token';

export class ApiError extends Error {
  constructor(status, errors, fallback) {
    const first = (errors && errors[0]) || {};
    super(first.detail || first.title || fallback || `Request failed (HTTP ${status}).`);
    this.status = status;
    this.errors = errors || [];
    this.parameter = first.source && first.source.parameter ? String(first.source.parameter) : null;
    this.code = first.code || null;
  }
}

function readCookie(name) {
  for (const part of document.cookie ? document.cookie.split(';') : []) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

/**
 * fetch() wrapper: relative URL, same-origin credentials, CSRF header on
 * every non-GET request, JSON in and out. Throws ApiError on non-2xx.
 */
export async function api(path, options = {}) {
  const method = (options.method || 'GET').toUpperCase();
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  if (context.token && !headers.Authorization) headers.Authorization = `Bearer ${context.token}`;
  if (!context.token && method !== 'GET' && method !== 'HEAD') {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let res;
  try {
    res = await fetch(mountUrl(API + path), {
      method,
      headers,
      body,
      credentials: context.token ? 'omit' : 'same-origin',
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, null, 'Could not reach the server. Check your connection and try again.');
  }
  let json = null;
  const text = await res.text();
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const errors = json && Array.isArray(json.errors) ? json.errors : null;
    throw new ApiError(res.status, errors, `Request failed (HTTP ${res.status}).`);
  }
  return json || {};
}

/** "detail (parameter “from”)" — the message shown for an API error. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return (err && err.message) || 'Something went wrong.';
  let text = err.message;
  if (err.parameter) text += ` (parameter “${err.parameter}”)`;
  return text;
}

export function isAbort(err) {
  return err && err.name === 'AbortError';
}
