/*
 * The log's extra columns (viewer-config.js): their headings in the table head, their cells in
 * each row, and the targets as links to the host's app. In the narrow card layout a cell shows
 * its own label, since the head is then hidden.
 */

import { $, h } from './dom.js';
import { isString, str } from './format.js';
import { state } from './state.js';
import { EXTRA_COLUMNS, extraColumns, targetHref } from './viewer-config.js';

/** Puts the extra columns' `<col>`s and `<th>`s after the template's base four. */
export function renderHead() {
  const table = $('events-table');
  if (!table) return;
  for (const node of table.querySelectorAll('.c-extra, .th-extra')) node.remove();
  const cols = table.querySelector('colgroup');
  const headRow = table.querySelector('thead tr');
  for (const key of extraColumns()) {
    cols.append(h('col', { className: `c-extra c-extra-${key}` }));
    headRow.append(h('th', { scope: 'col', className: 'th-extra', text: EXTRA_COLUMNS[key] }));
  }
}

/** How many columns a row spans: the base four and the extra ones. */
export function columnCount() {
  return 4 + extraColumns().length;
}

/** The extra cells of one event, in the columns' order. */
export function extraCells(ev) {
  return extraColumns().map((key) => {
    const value = cellValue(ev, key);
    return h(
      'td',
      { className: `cell-extra cell-extra-${key}`, 'data-column': key },
      h('span', { className: 'cell-label', text: EXTRA_COLUMNS[key] }),
      value instanceof Node
        ? value
        : h('span', { className: 'pre clamp', text: value || '—', title: value || null }),
    );
  });
}

/**
 * A target's name (or e-mail, or id), as a link to its page in the host's app when a template
 * exists for its type.
 */
export function targetLabel(t, className) {
  const text = t.name || t.email || t.id || '—';
  const href = targetHref(t, state.org);
  if (!href) return h('span', { className, text });
  return h('a', {
    className: `${className || ''} target-link`.trim(),
    href,
    rel: 'noopener noreferrer',
    'data-target-type': t.type,
    text,
  });
}

function cellValue(ev, key) {
  switch (key) {
    case 'targets':
      return ev.targets.length
        ? h(
            'ul',
            { className: 'plain-list cell-targets' },
            ev.targets.map((t) =>
              h('li', {}, targetLabel(t, 'pre'), t.type ? ` (${t.type})` : null),
            ),
          )
        : '';
    case 'category':
      return state.categories.get(ev.category) || ev.category;
    case 'site':
      return ev.site ? ev.site.name || ev.site.id : '';
    case 'product':
      return ev.product;
    case 'ip':
      return str(ev.location.ip);
    case 'location': {
      const l = ev.location;
      if (isString(l.geo) && l.geo) return l.geo;
      return [l.city, l.regionName, l.countryName].filter(isString).join(', ');
    }
    case 'userAgent':
      return str(ev.location.userAgent);
    case 'outcome':
      return ev.outcome === 'success'
        ? 'Success'
        : ev.outcome === 'failure'
          ? 'Failure'
          : ev.outcome;
    default:
      return '';
  }
}
