/* Loading the log: one page of events at a time, newest first, for the applied filters. */

import { api, ApiError, describeError, isAbort } from './api.js';
import { $ } from './dom.js';
import { loadChart } from './chart-data.js';
import { renderHead } from './event-columns.js';
import { renderEvent } from './event-rows.js';
import { clearInvalid, queryFor, showLogError } from './filters.js';
import { formatCount, isString, str } from './format.js';
import { checkIntegrity } from './integrity.js';
import { sessionExpired } from './session.js';
import { state } from './state.js';
import { loadViewerConfig, onViewerConfigChange } from './viewer-config.js';

const PAGE_SIZE = 50;

export async function loadEvents(append) {
  if (append && !state.next) return;
  if (state.loadController) state.loadController.abort();
  const controller = new AbortController();
  state.loadController = controller;
  const params = queryFor(state.applied);
  params.set('limit', String(PAGE_SIZE));
  if (append) params.set('cursor', state.next);

  const body = $('events-body');
  const more = $('load-more');
  const loading = $('events-loading');
  if (!append) {
    showLogError('');
    clearInvalid();
    $('events-empty').hidden = true;
    body.replaceChildren();
    state.count = 0;
    state.next = null;
    more.hidden = true;
    // New filters (not another page): the chart counts what the table lists.
    loadChart();
  }
  more.disabled = true;
  loading.hidden = false;
  $('events-table').setAttribute('aria-busy', 'true');
  setStatus('Loading…');

  try {
    // Reorder so the URL reads naturally: limit first, like the contract's examples.
    const ordered = new URLSearchParams();
    ordered.set('limit', params.get('limit'));
    for (const [k, v] of params) if (k !== 'limit') ordered.append(k, v);
    const [json] = await Promise.all([
      api(`orgs/${encodeURIComponent(state.org)}/events?${ordered}`, {
        signal: controller.signal,
      }),
      // The first page waits for the links and columns, so that rows are drawn once.
      loadViewerConfig(state.org),
    ]);
    if (controller !== state.loadController) return;
    if (!append) renderHead();
    if (append && body.firstChild) {
      showLogError('');
    }
    const items = Array.isArray(json.data) ? json.data : [];
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const ev = normalizeEvent(item);
      renderEvent(frag, ev);
    }
    body.append(frag);
    state.count += items.length;
    state.next = json.meta && isString(json.meta.next) ? json.meta.next : null;
    more.hidden = !state.next;
    $('events-empty').hidden = state.count > 0;
    setStatus(
      state.count === 0
        ? '0 activities found.'
        : `Showing ${formatCount(state.count)} ${state.count === 1 ? 'activity' : 'activities'}${state.next ? ', more available' : ''}.`,
    );
  } catch (err) {
    if (isAbort(err)) return;
    if (controller !== state.loadController) return;
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    showLogError(describeError(err), err instanceof ApiError ? err.parameter : null);
    setStatus('');
    // Keep "Load more" available to retry after a failed page.
    more.hidden = !(append && state.next);
  } finally {
    if (controller === state.loadController) {
      state.loadController = null;
      loading.hidden = true;
      more.disabled = false;
      $('events-table').removeAttribute('aria-busy');
      // Only now: the log comes first, the (slower) integrity check after it.
      if (state.integrityOrg !== state.org) checkIntegrity();
    }
  }
}

// An embedding page changed the links or columns: draw the rows on show again.
onViewerConfigChange(() => {
  const body = $('events-body');
  if (!body) return;
  renderHead();
  const events = [...body.querySelectorAll('tr.event-row')].map((row) => row._event);
  const frag = document.createDocumentFragment();
  for (const ev of events) renderEvent(frag, ev);
  body.replaceChildren(frag);
});

function setStatus(text) {
  const node = $('log-status');
  if (node) node.textContent = text;
}

/** Accepts the JSON:API shape of section 5 and, defensively, the raw event of section 4. */
function normalizeEvent(item) {
  const a = (item && item.attributes) || item || {};
  const person = (p) => {
    if (!p || typeof p !== 'object') return { id: '', type: '', name: '', email: '' };
    const pa = p.attributes || {};
    const rest = { ...p, ...pa };
    delete rest.attributes;
    return {
      ...rest,
      id: str(p.id),
      type: str(p.type),
      name: str(pa.name !== undefined ? pa.name : p.name),
      email: str(pa.email !== undefined ? pa.email : p.email),
    };
  };
  const targets = (
    Array.isArray(a.context) ? a.context : Array.isArray(a.targets) ? a.targets : []
  ).map(person);
  let containers = Array.isArray(a.container) ? a.container.map(person) : [];
  if (!containers.length && a.site && typeof a.site === 'object') {
    containers = [{ ...person(a.site), type: a.site.type ? str(a.site.type) : 'site' }];
  }
  const site = containers.find((c) => c.type === 'site') || containers[0] || null;
  const message = (item && item.message) || a.message || null;
  return {
    raw: item,
    id: str((item && item.id) || a.id),
    seq: a.seq,
    time: str(a.time),
    action: str(a.action),
    category: str(a.category),
    actor: person(a.actor),
    targets,
    containers,
    site,
    product: str(a.product),
    location: a.location && typeof a.location === 'object' ? a.location : {},
    outcome: str(a.outcome),
    metadata: a.metadata,
    message: message && typeof message === 'object' ? str(message.content) : str(message),
  };
}
