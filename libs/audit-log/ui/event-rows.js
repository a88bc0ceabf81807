/*
 * The table rows of the log, and the detail row each one opens: a click anywhere on the row, or
 * its date, which is a disclosure button (aria-expanded lives on the button: a table row may not
 * carry it, axe's aria-conditional-attr), so keyboard users tab to it and press Enter or Space.
 */

import { actionLabel } from './actions.js';
import { $, h } from './dom.js';
import { columnCount, extraCells, targetLabel } from './event-columns.js';
import { dateFmt, fullFmt, isString, json, parseTime, str, timeFmt } from './format.js';
import { filterBy } from './filters.js';
import { state } from './state.js';

let rowCounter = 0;

export function renderEvent(parent, ev) {
  const detailId = `event-detail-${++rowCounter}`;
  const d = parseTime(ev.time);
  const iso = d ? d.toISOString() : ev.time;

  const actorLabel = ev.actor.name || ev.actor.email || ev.actor.id || 'Unknown actor';
  const dateCell = h(
    'td',
    { className: 'cell-date' },
    h(
      'button',
      {
        type: 'button',
        className: 'row-toggle',
        'aria-expanded': 'false',
        'aria-controls': detailId,
      },
      // Named by what it shows, the date, after words for screen readers (not an aria-label,
      // which would have to repeat the visible text: axe's label-content-name-mismatch).
      h('span', {
        className: 'sr-only',
        text: `Details: ${actionLabel(ev.action)} by ${actorLabel}, `,
      }),
      h(
        'time',
        { datetime: iso, title: iso },
        h('span', { className: 'date-day', text: d ? dateFmt.format(d) : ev.time }),
        d ? h('span', { className: 'date-time muted', text: timeFmt.format(d) }) : null,
      ),
    ),
  );

  const actorName = actorLabel;
  const actorCell = h(
    'td',
    { className: 'cell-actor' },
    h('div', { className: 'actor-name pre clamp', text: actorName, title: actorName }),
    ev.actor.email && ev.actor.name
      ? h('div', { className: 'actor-email muted pre clamp', text: ev.actor.email })
      : null,
    ev.actor.type && ev.actor.type !== 'user'
      ? h('span', { className: 'tag tag-subtle', text: ev.actor.type })
      : null,
  );

  const actionCell = h(
    'td',
    { className: 'cell-action' },
    h('div', { className: 'message pre clamp', text: ev.message || actionLabel(ev.action) }),
    h('span', {
      className: 'tag',
      'data-action-key': ev.action,
      title: ev.action,
      text: actionLabel(ev.action),
    }),
  );

  const details = h('dl', { className: 'details-list' });
  const addDetail = (label, value, cls) => {
    if (!isString(value)) return;
    details.append(
      h(
        'div',
        { className: `detail ${cls || ''}` },
        h('dt', { text: label }),
        h('dd', { className: 'pre clamp', text: value }),
      ),
    );
  };
  addDetail('Site', ev.site ? ev.site.name || ev.site.id : '');
  addDetail('Product', ev.product);
  addDetail('IP address', str(ev.location.ip));
  addDetail(
    'Outcome',
    outcomeLabel(ev.outcome),
    ev.outcome === 'failure' ? 'outcome-failure' : 'outcome-ok',
  );
  const detailsCell = h('td', { className: 'cell-details' }, details);

  const row = h(
    'tr',
    {
      className: `event-row${ev.outcome === 'failure' ? ' is-failure' : ''}`,
      'data-event-id': ev.id,
    },
    dateCell,
    actorCell,
    actionCell,
    detailsCell,
    extraCells(ev),
  );
  row._event = ev;
  const detailRow = h('tr', { className: 'detail-row', id: detailId, hidden: true });
  parent.append(row, detailRow);
}

function outcomeLabel(outcome) {
  if (outcome === 'success') return 'Success';
  if (outcome === 'failure') return 'Failure';
  return outcome;
}

export function onTableClick(ev) {
  const by = ev.target.closest('button.filter-by');
  if (by) {
    filterBy(
      by.getAttribute('data-kind'),
      by.getAttribute('data-value'),
      by.getAttribute('data-label'),
    );
    return;
  }
  const row = ev.target.closest('tr.event-row');
  if (!row) return;
  const control = ev.target.closest('a, button, summary, input, select, textarea');
  if (control && !control.classList.contains('row-toggle')) return;
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed && row.contains(selection.anchorNode)) return;
  toggleRow(row);
}

function toggleRow(row) {
  const toggle = row.querySelector('.row-toggle');
  const detail = toggle && $(toggle.getAttribute('aria-controls'));
  if (!detail) return;
  const open = toggle.getAttribute('aria-expanded') === 'true';
  if (open) {
    detail.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    row.classList.remove('is-open');
    return;
  }
  if (!detail.firstChild) detail.append(renderDetail(row._event));
  detail.hidden = false;
  toggle.setAttribute('aria-expanded', 'true');
  row.classList.add('is-open');
}

function renderDetail(ev) {
  const dl = h('dl', { className: 'detail-grid' });
  const add = (label, value) => {
    if (value === undefined || value === null || value === '') return;
    dl.append(
      h('dt', { text: label }),
      h(
        'dd',
        {},
        value instanceof Node ? value : h('span', { className: 'pre', text: str(value) }),
      ),
    );
  };
  const d = parseTime(ev.time);
  add('Event ID', ev.id);
  add('Sequence', ev.seq !== undefined && ev.seq !== null ? String(ev.seq) : '');
  add('Time (UTC)', d ? d.toISOString() : ev.time);
  add('Local time', d ? fullFmt.format(d) : '');
  add('Action', ev.action ? `${actionLabel(ev.action)} (${ev.action})` : '');
  const group = state.categories.get(ev.category);
  add('Category', ev.category ? (group ? `${group} (${ev.category})` : ev.category) : '');
  add('Message', ev.message);
  const actorName = ev.actor.name || ev.actor.email || ev.actor.id;
  add(
    'Actor',
    h('span', {}, personBlock(ev.actor), filterButton('actor', ev.actor.id, actorName, 'actor')),
  );
  add(
    'Targets',
    ev.targets.length
      ? h(
          'ul',
          { className: 'plain-list' },
          ev.targets.map((t) =>
            h(
              'li',
              {},
              personBlock(t, true),
              // The exact-term search matches a target by its name or e-mail.
              filterButton('q', t.name || t.email, t.name || t.email, t.type || 'target'),
            ),
          ),
        )
      : 'None',
  );
  if (ev.containers.length) {
    add(
      ev.containers.length > 1 ? 'Containers' : 'Site',
      h(
        'ul',
        { className: 'plain-list' },
        ev.containers.map((c) => h('li', {}, personBlock(c))),
      ),
    );
  }
  add('Product', ev.product);
  add(
    'IP address',
    ev.location.ip
      ? h(
          'span',
          {},
          h('span', { className: 'pre', text: str(ev.location.ip) }),
          filterButton('ip', ev.location.ip, ev.location.ip, 'IP'),
        )
      : '',
  );
  add('User agent', str(ev.location.userAgent));
  const otherLocation = Object.keys(ev.location).filter((k) => k !== 'ip' && k !== 'userAgent');
  if (otherLocation.length)
    add('Location', h('pre', { className: 'json', text: json(ev.location) }));
  add('Outcome', outcomeLabel(ev.outcome));
  add('Metadata', h('pre', { className: 'json', text: json(ev.metadata || {}) }));

  const raw = h(
    'details',
    { className: 'raw' },
    h('summary', { text: 'Raw event JSON' }),
    h('pre', { className: 'json', text: json(ev.raw) }),
  );
  return h(
    'td',
    { colspan: String(columnCount()) },
    h('div', { className: 'detail-panel' }, dl, raw),
  );
}

/** A small button beside a value in a detail that narrows the log to it. */
function filterButton(kind, value, label, what) {
  if (!isString(value) || !value) return null;
  return h('button', {
    type: 'button',
    className: 'btn btn-subtle btn-small filter-by',
    'data-kind': kind,
    'data-value': value,
    'data-label': label,
    'aria-label': `Filter by ${what} ${label}`,
    text: 'Filter',
  });
}

/** A person or object: its name, then e-mail, type and id; a target's name links to its page. */
function personBlock(p, isTarget) {
  const main = p.name || p.email || p.id || '—';
  const extra = [];
  if (p.email && p.name) extra.push(p.email);
  if (p.type) extra.push(p.type);
  if (p.id && p.id !== main) extra.push(`id ${p.id}`);
  return h(
    'span',
    { className: 'person' },
    isTarget
      ? targetLabel(p, 'pre person-name')
      : h('span', { className: 'pre person-name', text: main }),
    extra.length
      ? h('span', { className: 'muted pre person-extra', text: ` · ${extra.join(' · ')}` })
      : null,
  );
}
