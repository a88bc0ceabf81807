/*
 * The viewer's extension points: where a target links to in the host's own app, and which extra
 * columns the log shows. The admin plugin's `viewer` options (GET viewer-config) are the default;
 * a page that embeds the viewer may override either with setViewerConfig().
 */

import { api } from './api.js';

/** The extra columns, by key, with their headings; the same list as the server's. */
export const EXTRA_COLUMNS = {
  targets: 'Targets',
  category: 'Category',
  site: 'Site',
  product: 'Product',
  ip: 'IP address',
  location: 'Location',
  userAgent: 'User agent',
  outcome: 'Outcome',
};

let server = { targetLinks: {}, columns: [] };
let override = {};
let loaded = null;
const listeners = new Set();

/**
 * Reads the server's options once per page (they are the same for every org). A failure leaves
 * the defaults and is tried again with the next page of the log: links and columns are extras,
 * the log shows without them.
 */
export function loadViewerConfig(org) {
  if (!loaded) {
    loaded = api(`orgs/${encodeURIComponent(org)}/viewer-config`)
      .then((json) => {
        const data = (json && json.data) || {};
        server = { targetLinks: linksFrom(data.targetLinks), columns: columnsFrom(data.columns) };
      })
      .catch(() => {
        loaded = null;
      });
  }
  return loaded || Promise.resolve();
}

/**
 * Overrides the server's options on this page: `columns` as a list or a comma-separated string
 * ("ip,outcome"), `targetLinks` as `{ type: template }`. A key left out keeps the server's;
 * unknown columns are ignored. The log re-renders with the new settings.
 */
export function setViewerConfig(config) {
  const next = {};
  if (config && config.targetLinks !== undefined) next.targetLinks = linksFrom(config.targetLinks);
  if (config && config.columns !== undefined) next.columns = columnsFrom(config.columns);
  override = next;
  for (const listener of listeners) listener();
}

/** Calls `listener` after each setViewerConfig(). */
export function onViewerConfigChange(listener) {
  listeners.add(listener);
}

/** The extra columns to show, in order. */
export function extraColumns() {
  return override.columns || server.columns;
}

/**
 * The address of a target in the host's app, or null: its type's template with `{id}`, `{type}`
 * and `{org}` URL-encoded, used only when the result is http(s) or a root-relative path, whatever
 * the template said (an override is not checked by the server).
 */
export function targetHref(target, org) {
  const links = override.targetLinks || server.targetLinks;
  if (!target || !target.id || !Object.prototype.hasOwnProperty.call(links, target.type)) {
    return null;
  }
  const values = { id: target.id, type: target.type, org: org || '' };
  const url = links[target.type].replace(/\{(id|type|org)\}/g, (_, key) =>
    encodeURIComponent(values[key]),
  );
  return safeHref(url);
}

function safeHref(url) {
  if (/[\s\\]/.test(url)) return null;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function linksFrom(value) {
  // No prototype: a type named `__proto__` is a key like any other.
  const links = Object.create(null);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return links;
  for (const [type, template] of Object.entries(value)) {
    if (typeof template === 'string' && template) links[type] = template;
  }
  return links;
}

function columnsFrom(value) {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [];
  const columns = [];
  for (const raw of list) {
    const key = typeof raw === 'string' ? raw.trim() : '';
    if (Object.prototype.hasOwnProperty.call(EXTRA_COLUMNS, key) && !columns.includes(key)) {
      columns.push(key);
    }
  }
  return columns;
}
