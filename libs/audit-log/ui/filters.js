/* The filter bar: reading and checking it, and turning filters into API queries and URLs. */

import { $ } from './dom.js';
import { loadEvents } from './events.js';
import { state } from './state.js';

export function validDay(v) {
  return (
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(v) &&
    !Number.isNaN(Date.parse(`${v}T00:00:00Z`))
  );
}

/** From = start of that day in UTC, To = end of that day in UTC. */
function dayStartIso(day) {
  return `${day}T00:00:00.000Z`;
}

function dayEndIso(day) {
  return `${day}T23:59:59.999Z`;
}

export function readForm() {
  return {
    q: $('f-q').value.trim(),
    from: $('f-from').value,
    to: $('f-to').value,
    action: $('f-action').value,
  };
}

function validateFilters(f) {
  if ($('f-from').validity && $('f-from').validity.badInput)
    return { parameter: 'from', message: 'Enter a valid From date.' };
  if ($('f-to').validity && $('f-to').validity.badInput)
    return { parameter: 'to', message: 'Enter a valid To date.' };
  if (f.from && f.to && f.from > f.to)
    return { parameter: 'to', message: 'The To date must be on or after the From date.' };
  return null;
}

export function sameFilters(a, b) {
  return a.q === b.q && a.from === b.from && a.to === b.to && a.action === b.action;
}

/** Reads, validates and applies the filter form. Returns false when invalid. */
export function applyFromForm() {
  const f = readForm();
  const invalid = validateFilters(f);
  clearInvalid();
  if (invalid) {
    showLogError(`${invalid.message} (parameter “${invalid.parameter}”)`, invalid.parameter);
    return false;
  }
  state.applied = f;
  syncUrl();
  loadEvents(false);
  return true;
}

export function queryFor(f) {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.from) p.set('from', dayStartIso(f.from));
  if (f.to) p.set('to', dayEndIso(f.to));
  if (f.action) p.set('action', f.action);
  return p;
}

export function exportBody(f) {
  const body = {};
  if (f.q) body.q = f.q;
  if (f.from) body.from = dayStartIso(f.from);
  if (f.to) body.to = dayEndIso(f.to);
  if (f.action) body.action = [f.action];
  return body;
}

export function syncUrl() {
  const p = new URLSearchParams();
  if (state.session && state.session.orgs.length > 1) p.set('org', state.org);
  const f = state.applied;
  if (f.q) p.set('q', f.q);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.action) p.set('action', f.action);
  const search = p.toString();
  history.replaceState(history.state, '', location.pathname + (search ? `?${search}` : ''));
}

const PARAM_FIELDS = {
  q: 'f-q',
  from: 'f-from',
  to: 'f-to',
  action: 'f-action',
  category: 'f-action',
};

export function clearInvalid() {
  for (const id of Object.values(PARAM_FIELDS)) {
    const node = $(id);
    if (node) node.removeAttribute('aria-invalid');
  }
}

export function showLogError(message, parameter) {
  const box = $('log-error');
  if (!box) return;
  box.textContent = message || '';
  const field = parameter && PARAM_FIELDS[parameter] ? $(PARAM_FIELDS[parameter]) : null;
  if (field) field.setAttribute('aria-invalid', 'true');
}
