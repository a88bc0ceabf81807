/* The log view: the table of events with its filters, integrity badge and export button. */

import { isViewer, setTitle, viewerCanExport, viewerNarrowed, viewParams } from './context.js';
import { loadActions } from './actions.js';
import { apiKeysOrgChanged, showApiKeys } from './api-keys.js';
import { destinationsOrgChanged, showDestinations } from './destinations.js';
import { $ } from './dom.js';
import { mountActivityChart } from './chart-data.js';
import { onTableClick } from './event-rows.js';
import { loadEvents } from './events.js';
import { openExport } from './export-dialog.js';
import {
  applyFromForm,
  onChipClick,
  RANGES,
  readForm,
  renderChips,
  syncUrl,
  validDay,
  validInstant,
} from './filters.js';
import { checkIntegrity, resetIntegrity } from './integrity.js';
import { state } from './state.js';
import { mountView, setAccountBar } from './views.js';

const ORG_STORAGE_KEY = 'auditkit.org';

/** A day of the date fields, or an instant of a span chosen on the chart. */
function validWhen(v) {
  return validDay(v) || validInstant(v);
}

export function pickOrg(orgs) {
  const params = viewParams();
  const fromUrl = params.get('org');
  if (fromUrl && orgs.includes(fromUrl)) return fromUrl;
  let stored = null;
  try {
    stored = localStorage.getItem(ORG_STORAGE_KEY);
  } catch {
    stored = null;
  }
  if (stored && orgs.includes(stored)) return stored;
  return orgs[0];
}

export function showLog() {
  state.org =
    state.org && state.session.orgs.includes(state.org) ? state.org : pickOrg(state.session.orgs);
  setAccountBar(true);
  mountView('tpl-log');
  setTitle('Audit log');
  $('org-name').textContent = state.org;
  resetIntegrity();

  // Filters from the address bar, so a filtered view can be shared or reloaded.
  const params = viewParams();
  const range = params.get('range') || '';
  const initial = {
    q: params.get('q') || '',
    range: RANGES[range] ? range : '',
    from: validWhen(params.get('from')) ? params.get('from') : '',
    to: validWhen(params.get('to')) ? params.get('to') : '',
    action: params.get('action') || '',
    actor: params.get('actor') || '',
    actorLabel: '',
    ip: params.get('ip') || '',
  };
  $('f-q').value = initial.q;
  $('f-range').value = initial.range;
  // An instant is not a date: the field stays empty, the span shows as a chip.
  $('f-from').value = validDay(initial.from) ? initial.from : '';
  $('f-to').value = validDay(initial.to) ? initial.to : '';
  mountActivityChart($('activity-chart'));

  $('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    applyFromForm();
  });
  $('active-filters').addEventListener('click', onChipClick);
  for (const id of ['f-q', 'f-range', 'f-from', 'f-to', 'f-action']) {
    $(id).addEventListener('input', () => $(id).removeAttribute('aria-invalid'));
  }
  $('load-more').addEventListener('click', () => loadEvents(true));
  if (isViewer()) {
    // A viewer token reads one org; it manages nothing and exports only when it says so.
    $('destinations-open').remove();
    $('api-keys-open').remove();
    if (!viewerCanExport()) $('export-open').remove();
  } else {
    $('destinations-open').addEventListener('click', showDestinations);
    $('api-keys-open').addEventListener('click', showApiKeys);
  }
  const exportOpen = $('export-open');
  if (exportOpen) exportOpen.addEventListener('click', openExport);
  $('events-body').addEventListener('click', onTableClick);
  $('integrity-recheck').addEventListener('click', () => {
    if (!state.integrityController) checkIntegrity();
  });
  // The report counts and names events a narrowed viewer token does not show: it may not read it.
  if (isViewer() && viewerNarrowed()) $('integrity').remove();

  loadActions(initial.action);
  state.applied = initial;
  syncUrl();
  renderChips();
  loadEvents(false);
}

/** The org picker in the top bar: show another org's log, keeping the other filters. */
export function switchOrg(org) {
  if (!state.session || !state.session.orgs.includes(org) || org === state.org) return;
  state.org = org;
  try {
    localStorage.setItem(ORG_STORAGE_KEY, org);
  } catch {
    // storage may be unavailable; the URL still carries the org
  }
  $('org-single').textContent = org;
  if (destinationsOrgChanged() || apiKeysOrgChanged()) return;
  const name = $('org-name');
  if (name) name.textContent = org;
  // Actions differ per org: reset the activity filter.
  state.applied = { ...readForm(), action: '' };
  const select = $('f-action');
  if (select) select.value = '';
  syncUrl();
  // The badge spoke of the previous org: clear it now, check again once the log is in.
  resetIntegrity();
  loadActions('');
  loadEvents(false);
}
