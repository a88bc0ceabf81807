/*
 * The export dialog's list of the org's recent exports and their status, so that an admin sees
 * what was asked for (by anyone in the org) and whether the mail went out, without searching the
 * log for it.
 */

import { api, ApiError, describeError } from './api.js';
import { isViewer } from './context.js';
import { $, h } from './dom.js';
import { dateFmt, formatCount, parseTime, str, timeFmt } from './format.js';
import { state } from './state.js';

const SHOWN = 5;
const STATUS_NAMES = {
  queued: 'Queued',
  running: 'Running',
  ready: 'Mailed',
  failed: 'Failed',
  expired: 'Expired',
};

function item(e) {
  const a = e.attributes || {};
  const d = parseTime(a.createdAt);
  const status = str(a.status);
  const rows =
    status === 'ready' && typeof a.rowCount === 'number'
      ? ` · ${formatCount(a.rowCount)} rows${a.truncated ? ' (cut at the limit)' : ''}`
      : '';
  return h(
    'li',
    {},
    h('time', {
      datetime: d ? d.toISOString() : '',
      text: d ? `${dateFmt.format(d)} ${timeFmt.format(d)}` : str(a.createdAt),
    }),
    h('span', { className: 'muted', text: ` by ${str(a.requestedBy)}` }),
    ' ',
    h('span', {
      className: `state-badge ${status === 'failed' ? 'is-paused' : 'is-active'}`,
      text: STATUS_NAMES[status] || status,
    }),
    h('span', { className: 'muted', text: rows }),
  );
}

/** Loads the list into the dialog; a failure says so in the list's place. */
export async function loadRecentExports() {
  const list = $('export-recent-list');
  // The list shows who asked for each export: not a viewer token's business.
  $('export-recent').hidden = isViewer();
  if (isViewer()) return;
  const org = state.org;
  try {
    const json = await api(`orgs/${encodeURIComponent(org)}/exports?limit=${SHOWN}`);
    if (org !== state.org) return;
    const data = Array.isArray(json.data) ? json.data : [];
    list.replaceChildren(...data.map(item));
    $('export-recent-empty').hidden = data.length > 0;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    list.replaceChildren(h('li', { className: 'muted', text: describeError(err) }));
  }
}
