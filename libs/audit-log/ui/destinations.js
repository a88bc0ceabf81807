/*
 * The destinations view: where an org's events are streamed (webhooks, Splunk
 * HEC, and types added through the API), with each one's state, cursor, lag and
 * last error, and the buttons to add, pause, resume, test and delete them.
 * Refreshes itself while shown, so that lag and errors stay current.
 */

import { setTitle } from './context.js';
import { api, ApiError, describeError, isAbort } from './api.js';
import { bindDestinationForm } from './destination-form.js';
import { $, h } from './dom.js';
import { formatCount, parseTime, plural, str, timeFmt, dateFmt } from './format.js';
import { showLog } from './log-view.js';
import { sessionExpired } from './session.js';
import { state } from './state.js';
import { mountView, setAccountBar, setViewUrl, wantsView } from './views.js';

const REFRESH_MS = 5000;
const TYPE_NAMES = { webhook: 'Webhook', splunk_hec: 'Splunk HEC', syslog: 'Syslog', file: 'File' };

function path(rest = '') {
  return `orgs/${encodeURIComponent(state.org)}/destinations${rest}`;
}

function setUrl() {
  setViewUrl('destinations');
}

/** Whether the address bar asks for this view (a reload keeps it). */
export function wantsDestinations() {
  return wantsView('destinations');
}

export function showDestinations() {
  setAccountBar(true);
  mountView('tpl-destinations');
  setTitle('Destinations · Audit log');
  $('dest-org-name').textContent = state.org;
  setUrl();
  $('log-open').addEventListener('click', showLog);
  bindDestinationForm(path, async () => {
    announce('Destination added.');
    await refresh();
  });
  $('dest-body').addEventListener('click', onAction);
  refresh();
}

/** The org picker changed while this view is shown. */
export function destinationsOrgChanged() {
  if (!$('dest-body')) return false;
  $('dest-org-name').textContent = state.org;
  setUrl();
  refresh();
  return true;
}

function announce(text) {
  const status = $('dest-status');
  if (status) status.textContent = text;
}

async function refresh() {
  if (state.destinationsTimer) clearTimeout(state.destinationsTimer);
  if (state.loadController) state.loadController.abort();
  const controller = new AbortController();
  state.loadController = controller;
  const org = state.org;
  try {
    const json = await api(path(), { signal: controller.signal });
    if (controller !== state.loadController || org !== state.org || !$('dest-body')) return;
    render(Array.isArray(json.data) ? json.data : []);
    $('dest-error').textContent = '';
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    if ($('dest-error'))
      $('dest-error').textContent = `Destinations not loaded: ${describeError(err)}`;
  } finally {
    if ($('dest-loading')) $('dest-loading').hidden = true;
    if (controller === state.loadController) state.loadController = null;
    if ($('dest-body')) state.destinationsTimer = setTimeout(refresh, REFRESH_MS);
  }
}

function when(iso) {
  const d = iso ? parseTime(iso) : null;
  if (!d) return h('span', { className: 'muted', text: 'Never' });
  const today = new Date().toDateString() === d.toDateString();
  return h('time', {
    datetime: d.toISOString(),
    title: d.toISOString(),
    text: today ? timeFmt.format(d) : `${dateFmt.format(d)} ${timeFmt.format(d)}`,
  });
}

function lagText(a) {
  if (!a.lagEvents) return h('span', { className: 'lag-ok', text: 'Up to date' });
  const seconds = Number(a.lagSeconds) || 0;
  const age = seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds / 60)} min`;
  return h(
    'span',
    { className: seconds > 60 ? 'lag-high' : '' },
    `${plural(a.lagEvents, 'event', 'events')} · ${age}`,
  );
}

function stateBadge(a) {
  if (a.state === 'active' && a.failures > 0) {
    const next = parseTime(a.nextAttemptAt);
    return h(
      'span',
      {
        className: 'state-badge is-retrying',
        title: next ? `Next attempt ${timeFmt.format(next)}` : '',
      },
      `Retrying (${plural(a.failures, 'failure', 'failures')})`,
    );
  }
  if (a.state === 'active')
    return h('span', { className: 'state-badge is-active', text: 'Active' });
  const why = a.pausedReason === 'failures' ? 'Paused: kept failing' : 'Paused';
  return h('span', { className: 'state-badge is-paused', text: why });
}

/** A cell: one block inside, so that the narrow layout's label/value grid keeps it together. */
function cell(label, className, ...content) {
  return h('td', { 'data-label': label, className }, h('div', { className: 'cell' }, ...content));
}

function row(d) {
  const a = d.attributes || {};
  const type = TYPE_NAMES[a.type] || str(a.type);
  const toggle = a.state === 'paused' ? 'resume' : 'pause';
  return h(
    'tr',
    { 'data-id': d.id },
    cell(
      'Destination',
      null,
      h('div', { className: 'dest-name', text: a.name || type }),
      h(
        'div',
        { className: 'muted dest-target' },
        a.name ? `${type} · ` : '',
        h('span', { className: 'pre', text: str(a.target) }),
      ),
    ),
    cell('State', null, stateBadge(a)),
    cell(
      'Cursor',
      'dest-cursor',
      `seq ${formatCount(Number(a.deliveredSeq) || 0)}`,
      h('span', { className: 'muted', text: ` of ${formatCount(Number(a.headSeq) || 0)}` }),
    ),
    cell('Lag', null, lagText(a)),
    cell('Last delivery', null, when(a.lastDeliveredAt)),
    cell(
      'Last error',
      'dest-error-cell',
      a.lastError
        ? [
            h('div', { className: 'dest-last-error', text: str(a.lastError) }),
            h('div', { className: 'muted' }, when(a.lastErrorAt)),
          ]
        : h('span', { className: 'muted', text: 'None' }),
    ),
    h(
      'td',
      { className: 'dest-actions' },
      h('button', {
        type: 'button',
        className: 'btn btn-default btn-small',
        'data-action': toggle,
        text: toggle === 'pause' ? 'Pause' : 'Resume',
      }),
      h('button', {
        type: 'button',
        className: 'btn btn-subtle btn-small',
        'data-action': 'test',
        text: 'Send test',
      }),
      h('button', {
        type: 'button',
        className: 'btn btn-subtle btn-small btn-danger',
        'data-action': 'delete',
        text: 'Delete',
      }),
    ),
  );
}

function render(list) {
  $('dest-body').replaceChildren(...list.map(row));
  $('dest-empty').hidden = list.length > 0;
  $('dest-table').hidden = list.length === 0;
}

async function onAction(ev) {
  const button = ev.target.closest('button[data-action]');
  if (!button) return;
  const id = button.closest('tr').getAttribute('data-id');
  const action = button.getAttribute('data-action');
  if (
    action === 'delete' &&
    !confirm('Delete this destination? Events stop being delivered to it.')
  )
    return;
  button.disabled = true;
  try {
    if (action === 'delete') {
      await api(path(`/${encodeURIComponent(id)}`), { method: 'DELETE' });
      announce('Destination deleted.');
    } else if (action === 'test') {
      const json = await api(path(`/${encodeURIComponent(id)}/test`), { method: 'POST', body: {} });
      const r = (json.data && json.data.attributes) || {};
      const text = r.ok ? 'Test delivered: the receiver answered.' : `Test failed: ${str(r.error)}`;
      $('dest-error').className = r.ok ? 'alert alert-info' : 'alert alert-error';
      $('dest-error').textContent = text;
      announce(text);
      return;
    } else {
      await api(path(`/${encodeURIComponent(id)}/${action}`), { method: 'POST', body: {} });
      announce(action === 'pause' ? 'Destination paused.' : 'Destination resumed.');
    }
    await refresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    $('dest-error').className = 'alert alert-error';
    $('dest-error').textContent = describeError(err);
  } finally {
    button.disabled = false;
  }
}
