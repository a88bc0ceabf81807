/* The filter bar: reading and checking it, and turning filters into API queries and URLs. */

import { setViewParams } from './context.js';
import { $, h } from './dom.js';
import { loadEvents } from './events.js';
import { state } from './state.js';

export function validDay(v) {
  return (
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(v) &&
    !Number.isNaN(Date.parse(`${v}T00:00:00Z`))
  );
}

/**
 * A bar of the activity chart narrows the log to an hour, or to a day of the browser's time zone,
 * which the date fields (whole UTC days) cannot hold: `from` and `to` are then instants, shown as
 * a chip instead of in the fields.
 */
export function validInstant(v) {
  return (
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) &&
    !Number.isNaN(Date.parse(v))
  );
}

/** From = start of that day in UTC, To = end of that day in UTC; an instant as it is. */
function dayStartIso(day) {
  return validInstant(day) ? day : `${day}T00:00:00.000Z`;
}

function dayEndIso(day) {
  return validInstant(day) ? day : `${day}T23:59:59.999Z`;
}

const spanDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const spanTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "Mar 3, 2026" for a whole local day, "Mar 3, 2026, 2:00 PM – 3:00 PM" for other spans. */
export function instantSpanLabel(from, to) {
  const start = new Date(from);
  const end = new Date(Date.parse(to) + 1);
  const midnight = (d) => d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
  if (midnight(start) && midnight(end)) return spanDay.formatRange(start, new Date(to));
  return spanTime.formatRange(start, end);
}

/** Relative ranges: the last N hours, counted back from each request. */
export const RANGES = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24, '180d': 180 * 24 };

/**
 * The form's filters, and those set by clicking an actor or an IP in a detail (`actor`, `ip`,
 * kept from what is applied: they have no field of their own, only a chip to remove them).
 */
export function readForm() {
  const applied = state.applied || {};
  // A span chosen on the chart stays until a date is typed or its chip is removed.
  const keepSpan =
    !$('f-from').value &&
    !$('f-to').value &&
    validInstant(applied.from) &&
    validInstant(applied.to);
  return {
    q: $('f-q').value.trim(),
    range: $('f-range').value,
    from: keepSpan ? applied.from : $('f-from').value,
    to: keepSpan ? applied.to : $('f-to').value,
    action: $('f-action').value,
    actor: applied.actor || '',
    actorLabel: applied.actorLabel || '',
    ip: applied.ip || '',
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

const KEYS = ['q', 'range', 'from', 'to', 'action', 'actor', 'ip'];

export function sameFilters(a, b) {
  return KEYS.every((k) => (a[k] || '') === (b[k] || ''));
}

/** Reads, validates and applies the filter form. Returns false when invalid. */
export function applyFromForm() {
  const f = readForm();
  // A relative range replaces the dates: one or the other says when.
  if (f.range) {
    f.from = '';
    f.to = '';
    $('f-from').value = '';
    $('f-to').value = '';
  }
  const invalid = validateFilters(f);
  clearInvalid();
  if (invalid) {
    showLogError(`${invalid.message} (parameter “${invalid.parameter}”)`, invalid.parameter);
    return false;
  }
  state.applied = f;
  syncUrl();
  renderChips();
  loadEvents(false);
  return true;
}

/**
 * Narrows the log to what was clicked in a detail: an actor (by id), an IP, or a target's name
 * or e-mail (as the exact-term search).
 */
export function filterBy(kind, value, label) {
  if (!value) return;
  const f = { ...readForm() };
  if (kind === 'q') {
    f.q = value;
    $('f-q').value = value;
  } else if (kind === 'actor') {
    f.actor = value;
    f.actorLabel = label || value;
  } else if (kind === 'ip') f.ip = value;
  state.applied = f;
  syncUrl();
  renderChips();
  loadEvents(false);
}

/** Narrows the log (and the chart) to a bar of the chart: `from`..`to` as instants. */
export function narrowToSpan(from, to) {
  const f = { ...readForm(), range: '', from, to };
  $('f-range').value = '';
  $('f-from').value = '';
  $('f-to').value = '';
  clearInvalid();
  state.applied = f;
  syncUrl();
  renderChips();
  loadEvents(false);
}

/** The clicked filters as chips, each a button that removes it. */
export function renderChips() {
  const box = $('active-filters');
  if (!box) return;
  const f = state.applied;
  const chips = [];
  if (validInstant(f.from) && validInstant(f.to))
    chips.push(['span', `Time: ${instantSpanLabel(f.from, f.to)}`]);
  if (f.actor) chips.push(['actor', `Actor: ${f.actorLabel || f.actor}`]);
  if (f.ip) chips.push(['ip', `IP: ${f.ip}`]);
  box.replaceChildren(
    ...chips.map(([key, text]) =>
      h(
        'button',
        {
          type: 'button',
          className: 'chip',
          'aria-label': `Remove filter ${text}`,
          'data-remove': key,
        },
        text,
        h('span', { 'aria-hidden': 'true', text: ' ×' }),
      ),
    ),
  );
  box.hidden = chips.length === 0;
}

/** A chip's button was clicked: drop that filter. */
export function onChipClick(ev) {
  const button = ev.target.closest('button[data-remove]');
  if (!button) return;
  const key = button.getAttribute('data-remove');
  const f = { ...state.applied };
  // The chart's span is one chip for two filters.
  if (key === 'span') Object.assign(f, { from: '', to: '' });
  else f[key] = '';
  if (key === 'actor') f.actorLabel = '';
  state.applied = f;
  syncUrl();
  renderChips();
  loadEvents(false);
  $('f-q').focus();
}

/** `from` of a relative range, as of now. */
function rangeStartIso(range) {
  return new Date(Date.now() - RANGES[range] * 3600_000).toISOString();
}

export function queryFor(f) {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.range && RANGES[f.range]) p.set('from', rangeStartIso(f.range));
  else if (f.from) p.set('from', dayStartIso(f.from));
  if (f.to && !f.range) p.set('to', dayEndIso(f.to));
  if (f.action) p.set('action', f.action);
  if (f.actor) p.set('actor', f.actor);
  if (f.ip) p.set('ip', f.ip);
  return p;
}

export function exportBody(f) {
  const body = {};
  if (f.q) body.q = f.q;
  if (f.range && RANGES[f.range]) body.from = rangeStartIso(f.range);
  else if (f.from) body.from = dayStartIso(f.from);
  if (f.to && !f.range) body.to = dayEndIso(f.to);
  if (f.action) body.action = [f.action];
  if (f.actor) body.actor = [f.actor];
  if (f.ip) body.ip = [f.ip];
  return body;
}

export function syncUrl() {
  const p = new URLSearchParams();
  if (state.session && state.session.orgs.length > 1) p.set('org', state.org);
  const f = state.applied;
  if (f.q) p.set('q', f.q);
  if (f.range) p.set('range', f.range);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.action) p.set('action', f.action);
  if (f.actor) p.set('actor', f.actor);
  if (f.ip) p.set('ip', f.ip);
  setViewParams(p);
}

const PARAM_FIELDS = {
  q: 'f-q',
  range: 'f-range',
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
