/* The export dialog: queues a CSV export of the applied filters and follows its status. */

import { activeElement } from './context.js';
import { actionLabel } from './actions.js';
import { api, ApiError, describeError } from './api.js';
import { $, h } from './dom.js';
import {
  applyFromForm,
  exportBody,
  instantSpanLabel,
  readForm,
  sameFilters,
  validInstant,
} from './filters.js';
import { formatCount, fullFmt, parseTime, str } from './format.js';
import { loadRecentExports } from './recent-exports.js';
import { sessionExpired } from './session.js';
import { emptyFilters, state } from './state.js';

const POLL_MS = 2000;
const TERMINAL_EXPORT_STATES = new Set(['ready', 'failed', 'expired']);

function filterSummary(f) {
  const items = [];
  if (f.q) items.push(['Search', f.q]);
  if (validInstant(f.from) && validInstant(f.to)) {
    items.push(['Time', instantSpanLabel(f.from, f.to)]);
  } else {
    if (f.from) items.push(['From', `${f.from} (00:00 UTC)`]);
    if (f.to) items.push(['To', `${f.to} (23:59 UTC)`]);
  }
  items.push(['Activity', f.action ? actionLabel(f.action) : 'All activities']);
  return items;
}

let exportFilters = emptyFilters();
let lastFocus = null;

export function openExport() {
  // Export what the filter bar says; if it was edited without Apply, apply it
  // first so the table and the export agree.
  const f = readForm();
  if (!sameFilters(f, state.applied)) {
    if (!applyFromForm()) return;
  }
  exportFilters = { ...state.applied };
  stopExportPolling();

  const list = $('export-filter-list');
  list.replaceChildren(
    ...filterSummary(exportFilters).map(([k, v]) =>
      h(
        'li',
        {},
        h('span', { className: 'muted', text: `${k}: ` }),
        h('span', { className: 'pre', text: v }),
      ),
    ),
  );
  $('export-result').hidden = true;
  $('export-queued').textContent = '';
  $('export-status').textContent = '';
  $('export-status').className = 'export-status';
  $('export-error').textContent = '';
  const submit = $('export-submit');
  submit.hidden = false;
  submit.disabled = false;
  submit.textContent = 'Export';
  $('export-cancel').textContent = 'Cancel';

  lastFocus = activeElement();
  const dialog = $('export-dialog');
  // Hide the page behind the modal from assistive technology (and from role queries).
  $('topbar').setAttribute('aria-hidden', 'true');
  $('main').setAttribute('aria-hidden', 'true');
  dialog.showModal();
  submit.focus();
  loadRecentExports();
}

function onExportClosed() {
  stopExportPolling();
  $('topbar').removeAttribute('aria-hidden');
  $('main').removeAttribute('aria-hidden');
  if (lastFocus && lastFocus.isConnected) lastFocus.focus();
  lastFocus = null;
}

export function stopExportPolling() {
  state.exportRun++;
  if (state.exportTimer) clearTimeout(state.exportTimer);
  state.exportTimer = null;
}

async function submitExport() {
  const submit = $('export-submit');
  const errorBox = $('export-error');
  errorBox.textContent = '';
  submit.disabled = true;
  stopExportPolling();
  const run = state.exportRun;
  const org = state.org;
  try {
    const res = await api(`orgs/${encodeURIComponent(org)}/exports`, {
      method: 'POST',
      body: exportBody(exportFilters),
    });
    if (run !== state.exportRun) return;
    const data = res.data || {};
    const attrs = data.attributes || {};
    const email = state.session && state.session.email;
    $('export-queued').textContent =
      `Export queued. We'll e-mail a link to ${email || 'your e-mail address'} when it's ready.`;
    $('export-result').hidden = false;
    submit.hidden = true;
    $('export-cancel').textContent = 'Close';
    showExportStatus(attrs);
    loadRecentExports();
    if (data.id && !TERMINAL_EXPORT_STATES.has(attrs.status))
      scheduleExportPoll(org, String(data.id), run);
  } catch (err) {
    if (run !== state.exportRun) return;
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    errorBox.textContent = describeError(err);
    submit.disabled = false;
  }
}

function scheduleExportPoll(org, id, run) {
  state.exportTimer = setTimeout(() => pollExport(org, id, run), POLL_MS);
}

async function pollExport(org, id, run) {
  if (run !== state.exportRun) return;
  try {
    const res = await api(`orgs/${encodeURIComponent(org)}/exports/${encodeURIComponent(id)}`);
    if (run !== state.exportRun) return;
    const attrs = (res.data && res.data.attributes) || {};
    showExportStatus(attrs);
    if (TERMINAL_EXPORT_STATES.has(attrs.status)) {
      loadRecentExports();
      if (attrs.status !== 'ready') {
        const submit = $('export-submit');
        submit.hidden = false;
        submit.disabled = false;
        submit.textContent = 'Export again';
      }
      return;
    }
    scheduleExportPoll(org, id, run);
  } catch (err) {
    if (run !== state.exportRun) return;
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    $('export-error').textContent = describeError(err);
  }
}

const STATUS_TEXT = {
  queued: 'Queued',
  running: 'Running',
  ready: 'Ready',
  failed: 'Failed',
  expired: 'Expired',
};

function showExportStatus(attrs) {
  const status = str(attrs.status) || 'queued';
  let text = `Status: ${STATUS_TEXT[status] || status}`;
  if (status === 'queued') text += ' — waiting for the export worker.';
  else if (status === 'running') text += ' — collecting activities.';
  else if (status === 'ready') {
    const n = typeof attrs.rowCount === 'number' ? attrs.rowCount : null;
    text +=
      n !== null ? ` — ${formatCount(n)} ${n === 1 ? 'activity' : 'activities'} exported.` : '.';
    if (attrs.truncated) text += ' More activities matched; only the 10,000 newest were included.';
    text += ' Check your e-mail for the download link';
    const exp = parseTime(attrs.expiresAt);
    text += exp ? `, valid until ${fullFmt.format(exp)}.` : '.';
  } else if (status === 'failed')
    text += ' — the export could not be created. Try exporting again.';
  else if (status === 'expired')
    text += ' — the download link has expired. Export again for a new link.';
  const node = $('export-status');
  node.textContent = text;
  node.className = `export-status status-${status}`;
}

export function bindExportDialog() {
  const dialog = $('export-dialog');
  dialog.addEventListener('close', onExportClosed);
  $('export-cancel').addEventListener('click', () => dialog.close());
  $('export-submit').addEventListener('click', submitExport);
  $('export-form').addEventListener('submit', (ev) => ev.preventDefault());
}
