/*
 * The API keys view: the org's API keys for integrations, with their scopes,
 * expiry and last use; a form to create one, whose secret is shown once, here,
 * and a Revoke button. Laid out like the destinations view (its table and form
 * styles), so that both pages of the org's settings read alike.
 */

import { queryAll, setTitle } from './context.js';
import { api, ApiError, describeError, isAbort } from './api.js';
import { $, h } from './dom.js';
import { dateFmt, parseTime, str, timeFmt } from './format.js';
import { showLog } from './log-view.js';
import { sessionExpired } from './session.js';
import { state } from './state.js';
import { mountView, setAccountBar, setViewUrl, wantsView } from './views.js';

const SCOPE_NAMES = {
  'events:read': 'Read events',
  'events:write': 'Record events',
  exports: 'Export',
};

function path(rest = '') {
  return `orgs/${encodeURIComponent(state.org)}/api-keys${rest}`;
}

function setUrl() {
  setViewUrl('api-keys');
}

/** Whether the address bar asks for this view (a reload keeps it). */
export function wantsApiKeys() {
  return wantsView('api-keys');
}

export function showApiKeys() {
  setAccountBar(true);
  mountView('tpl-api-keys');
  setTitle('API keys · Audit log');
  $('keys-org-name').textContent = state.org;
  setUrl();
  $('keys-log-open').addEventListener('click', showLog);
  $('key-add-open').addEventListener('click', () => {
    $('key-form').hidden = false;
    $('key-name').focus();
  });
  $('key-cancel').addEventListener('click', () => {
    $('key-form').hidden = true;
    $('key-add-open').focus();
  });
  $('key-form').addEventListener('submit', create);
  $('key-copy').addEventListener('click', copySecret);
  $('keys-body').addEventListener('click', onRevoke);
  refresh();
}

/** The org picker changed while this view is shown. */
export function apiKeysOrgChanged() {
  if (!$('keys-body')) return false;
  $('keys-org-name').textContent = state.org;
  $('key-secret-box').hidden = true;
  setUrl();
  refresh();
  return true;
}

function announce(text) {
  const status = $('keys-status');
  if (status) status.textContent = text;
}

function showError(text) {
  $('keys-error').className = 'alert alert-error';
  $('keys-error').textContent = text;
}

async function refresh() {
  if (state.loadController) state.loadController.abort();
  const controller = new AbortController();
  state.loadController = controller;
  const org = state.org;
  try {
    const json = await api(path(), { signal: controller.signal });
    if (controller !== state.loadController || org !== state.org || !$('keys-body')) return;
    render(Array.isArray(json.data) ? json.data : []);
  } catch (err) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    if ($('keys-error')) showError(`API keys not loaded: ${describeError(err)}`);
  } finally {
    if ($('keys-loading')) $('keys-loading').hidden = true;
    if (controller === state.loadController) state.loadController = null;
  }
}

function when(iso, never = 'Never') {
  const d = iso ? parseTime(iso) : null;
  if (!d) return h('span', { className: 'muted', text: never });
  return h('time', {
    datetime: d.toISOString(),
    title: d.toISOString(),
    text: `${dateFmt.format(d)} ${timeFmt.format(d)}`,
  });
}

function cell(label, ...content) {
  return h('td', { 'data-label': label }, h('div', { className: 'cell' }, ...content));
}

function row(k) {
  const a = k.attributes || {};
  const status = str(a.status);
  const by = a.createdBy ? a.createdBy.name || a.createdBy.id : '';
  return h(
    'tr',
    { 'data-id': k.id },
    cell(
      'Name',
      h('div', { className: 'dest-name', text: str(a.name) }),
      h('div', { className: 'muted pre', text: k.id }),
    ),
    cell('Scope', (a.scope || []).map((s) => SCOPE_NAMES[s] || str(s)).join(', ')),
    cell(
      'Status',
      h('span', {
        className: `state-badge ${status === 'active' ? 'is-active' : 'is-paused'}`,
        text: status === 'active' ? 'Active' : status === 'revoked' ? 'Revoked' : 'Expired',
      }),
    ),
    cell(
      'Created',
      when(a.createdAt),
      by ? h('div', { className: 'muted', text: `by ${by}` }) : '',
    ),
    cell('Expires', when(a.expiresAt)),
    cell('Last used', when(a.lastUsedAt)),
    h(
      'td',
      { className: 'dest-actions' },
      status === 'revoked'
        ? ''
        : h('button', {
            type: 'button',
            className: 'btn btn-subtle btn-small btn-danger',
            'data-action': 'revoke',
            'aria-label': `Revoke ${str(a.name)}`,
            text: 'Revoke',
          }),
    ),
  );
}

function render(list) {
  $('keys-body').replaceChildren(...list.map(row));
  $('keys-empty').hidden = list.length > 0;
  $('keys-table').hidden = list.length === 0;
}

async function create(ev) {
  ev.preventDefault();
  const scope = queryAll('input[name="key-scope"]:checked').map((i) => i.value);
  const body = {
    name: $('key-name').value.trim(),
    scope,
    expiresInDays: Number($('key-expiry').value),
  };
  const button = $('key-create');
  button.disabled = true;
  $('key-form-error').textContent = '';
  try {
    const json = await api(path(), { method: 'POST', body });
    $('key-form').reset();
    $('key-form').hidden = true;
    $('key-secret').value = json.data.attributes.secret;
    $('key-secret-box').hidden = false;
    $('key-secret').focus();
    $('key-secret').select();
    announce('API key created. Copy its secret now: it is not shown again.');
    await refresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    $('key-form-error').textContent = describeError(err);
  } finally {
    button.disabled = false;
  }
}

async function copySecret() {
  try {
    await navigator.clipboard.writeText($('key-secret').value);
    announce('Secret copied.');
  } catch {
    $('key-secret').select();
    announce('Select the secret and copy it.');
  }
}

async function onRevoke(ev) {
  const button = ev.target.closest('button[data-action="revoke"]');
  if (!button) return;
  const id = button.closest('tr').getAttribute('data-id');
  if (!confirm('Revoke this API key? Integrations using it are refused from now on.')) return;
  button.disabled = true;
  try {
    await api(path(`/${encodeURIComponent(id)}`), { method: 'DELETE' });
    announce('API key revoked.');
    await refresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    showError(describeError(err));
    button.disabled = false;
  }
}
