/*
 * The activity chart: one bar per hour or day, stacked by category, above the log. It draws into
 * the container it is given and looks nothing up in the document, so that it works as well inside
 * a shadow root. Loading the data is chart-data.js's job.
 */

import { h } from './dom.js';
import { formatCount, plural } from './format.js';

/** Colours are `--chart-1` … `--chart-8` (chart.css); more categories reuse them in turn. */
const COLORS = 8;
/** Room for one date label under the axis. */
const LABEL_PX = 72;

const dayLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: 'numeric', timeZone: 'UTC' });
const dayHourLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
});

/**
 * Where the axis has a label, `[bucket index, text]`, at most about `room` of them, on round
 * steps: every day, every other day, Mondays, every other Monday, the 1st of a month, of a
 * quarter; every 1, 2, 3, 6 or 12 hours (with the date at midnight), or midnights only.
 */
function axisLabels(buckets, interval, offset, room) {
  const local = buckets.map((b) => new Date(b.start + offset * 60_000));
  const fits = (keep) => local.filter(keep).length <= Math.max(1, room);
  if (interval === 'hour') {
    const step = [1, 2, 3, 6, 12].find((k) => fits((d) => d.getUTCHours() % k === 0));
    const keep = step ? (d) => d.getUTCHours() % step === 0 : (d) => d.getUTCHours() === 0;
    return local
      .map((d, i) => [i, d])
      .filter(([, d]) => keep(d))
      .map(([i, d]) => [i, d.getUTCHours() === 0 ? dayLabel.format(d) : hourLabel.format(d)]);
  }
  const week = (d) => Math.floor((d.getTime() / 86_400_000 + 3) / 7); // weeks start on Monday
  const keeps = [
    () => true,
    (d) => Math.floor(d.getTime() / 86_400_000) % 2 === 0,
    (d) => d.getUTCDay() === 1,
    (d) => d.getUTCDay() === 1 && week(d) % 2 === 0,
    (d) => d.getUTCDate() === 1,
  ];
  const keep = keeps.find(fits) || ((d) => d.getUTCDate() === 1 && d.getUTCMonth() % 3 === 0);
  return local
    .map((d, i) => [i, d])
    .filter(([, d]) => keep(d))
    .map(([i, d]) => [i, dayLabel.format(d)]);
}

/** `+02:00` → 120. */
function offsetMinutes(utcOffset) {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(utcOffset || '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * The chart in `container`. `onSelect(fromIso, toIso)` is called when a bar is chosen, with the
 * bucket's first and last millisecond.
 */
export function createActivityChart(container, onSelect) {
  const title = h('h2', { className: 'chart-title', text: 'Activity' });
  const summary = h('p', { className: 'chart-summary muted' });
  const message = h('p', { className: 'chart-message muted', role: 'status' });
  const max = h('span', { className: 'chart-max', 'aria-hidden': 'true' });
  const bars = h('div', { className: 'chart-bars', role: 'group' });
  const axis = h('div', { className: 'chart-axis', 'aria-hidden': 'true' });
  const plot = h('div', { className: 'chart-plot' }, bars, axis);
  const scroller = h('div', { className: 'chart-scroll' }, plot);
  const legend = h('ul', { className: 'chart-legend', 'aria-label': 'Categories' });
  const body = h('div', { className: 'chart-body' }, scroller, max, message);
  container.classList.add('activity-chart');
  container.replaceChildren(h('div', { className: 'chart-head' }, title, summary), body, legend);

  let shown = null; // { buckets, interval, offset }
  let buttons = [];

  function setMessage(text, kind) {
    message.textContent = text;
    message.hidden = !text;
    body.className = `chart-body${kind ? ` is-${kind}` : ''}`;
  }

  /** " from Nov 1 to Dec 1", or " on Nov 29" for a single day. */
  function spanText(from, to, offset) {
    if (!from || !to) return '';
    const [a, b] = [from, to].map((t) =>
      dayLabel.format(new Date(Date.parse(t) + offset * 60_000)),
    );
    return a === b ? ` on ${a}` : ` from ${a} to ${b}`;
  }

  function bucketLabel(start, interval, offset) {
    const local = new Date(start + offset * 60_000);
    return interval === 'hour' ? dayHourLabel.format(local) : dayLabel.format(local);
  }

  /** Date labels under the bars, as many as fit the plot's width. */
  function drawAxis() {
    if (!shown || !shown.buckets.length) return axis.replaceChildren();
    const { buckets, interval, offset } = shown;
    const width = plot.clientWidth || container.clientWidth || 320;
    const n = buckets.length;
    const labels = [];
    for (const [i, text] of axisLabels(buckets, interval, offset, width / LABEL_PX)) {
      // A label starts at its bar's left edge; one that would run past the right edge is left out.
      if (((n - i) / n) * width < LABEL_PX - 16) continue;
      const label = h('span', { className: 'chart-label', text });
      label.style.left = `${(i / n) * 100}%`;
      labels.push(label);
    }
    axis.replaceChildren(...labels);
  }

  function fitWidth() {
    if (!shown) return;
    // Past `--chart-min-bar` (chart.css) a bar, the plot scrolls sideways: each bar stays wide
    // enough to hit. CSSOM, not a style attribute: the page's CSP allows only the first.
    plot.style.setProperty('--chart-bars', String(shown.buckets.length));
    drawAxis();
  }

  bars.addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-index]');
    if (!button || !shown) return;
    const b = shown.buckets[Number(button.getAttribute('data-index'))];
    if (b) onSelect(new Date(b.start).toISOString(), new Date(b.end - 1).toISOString());
  });

  // One tab stop for the whole chart; the arrow keys move between bars (roving tabindex).
  bars.addEventListener('keydown', (ev) => {
    const i = buttons.indexOf(ev.target);
    if (i < 0) return;
    const next = {
      ArrowLeft: i - 1,
      ArrowRight: i + 1,
      Home: 0,
      End: buttons.length - 1,
    }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    focusBar(Math.min(buttons.length - 1, Math.max(0, next)));
  });

  function focusBar(i) {
    for (const [j, b] of buttons.entries()) b.tabIndex = j === i ? 0 : -1;
    buttons[i].focus();
    buttons[i].scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  if (typeof ResizeObserver === 'function') new ResizeObserver(() => drawAxis()).observe(scroller);

  return {
    /** Shows a spinner-free "Loading…" over the previous bars, keeping the height. */
    setLoading() {
      bars.setAttribute('aria-busy', 'true');
      setMessage('Loading activity…', 'loading');
    },

    setError(text) {
      bars.removeAttribute('aria-busy');
      shown = null;
      buttons = [];
      bars.replaceChildren();
      axis.replaceChildren();
      max.textContent = '';
      summary.textContent = '';
      legend.replaceChildren();
      setMessage(`Could not load the chart: ${text}`, 'error');
    },

    /**
     * `buckets`: `{ start, end, total, byCategory }` oldest first (times as ISO strings);
     * `categories`: `{ id, displayName }` in stacking order; `utcOffset`: the buckets' offset.
     */
    update({ buckets, interval, categories, utcOffset, from, to }) {
      bars.removeAttribute('aria-busy');
      const offset = offsetMinutes(utcOffset);
      const list = buckets.map((b) => ({
        start: Date.parse(b.start),
        end: Date.parse(b.end),
        total: Number(b.total) || 0,
        byCategory: b.byCategory || {},
      }));
      shown = { buckets: list, interval, offset };
      const unit = interval === 'hour' ? 'hour' : 'day';
      const total = list.reduce((sum, b) => sum + b.total, 0);
      const peak = list.reduce((m, b) => Math.max(m, b.total), 0);
      bars.setAttribute('aria-label', `Events per ${unit}; choose a bar to show only that ${unit}`);
      summary.textContent = `${plural(total, 'event', 'events')}${spanText(from, to, offset)} · a bar per ${unit}`;
      max.textContent = peak ? formatCount(peak) : '';

      buttons = list.map((b, i) => {
        const when = bucketLabel(b.start, interval, offset);
        const segments = categories
          .map((c, k) => [c, k, Number(b.byCategory[c.id]) || 0])
          .filter(([, , n]) => n > 0)
          .map(([c, k, n]) => {
            const seg = h('span', { className: `chart-seg chart-c${(k % COLORS) + 1}` });
            seg.style.height = `${(n / peak) * 100}%`;
            seg.setAttribute('data-category', c.id);
            return seg;
          });
        const parts = categories
          .filter((c) => Number(b.byCategory[c.id]) > 0)
          .map((c) => `${c.displayName} ${formatCount(Number(b.byCategory[c.id]))}`);
        // "events", not "activities": a label holding "activity" would also match the Activity
        // select's label in tests (getByLabel matches a part of the name).
        return h(
          'button',
          {
            type: 'button',
            className: 'chart-bar',
            'data-index': i,
            'data-total': b.total,
            tabindex: -1,
            'aria-label': `${when}: ${plural(b.total, 'event', 'events')}`,
            title: `${when}: ${plural(b.total, 'event', 'events')}${parts.length ? ` (${parts.join(', ')})` : ''}`,
          },
          h('span', { className: 'chart-stack' }, segments),
        );
      });
      // The newest bar takes the tab stop: recent activity is what one looks at first.
      if (buttons.length) buttons[buttons.length - 1].tabIndex = 0;
      // Nothing to choose from in an empty range: the axis still says which range it is.
      if (total === 0) buttons = [];
      bars.replaceChildren(...buttons);

      legend.replaceChildren(
        ...categories.map((c, k) =>
          h(
            'li',
            null,
            h('span', {
              className: `chart-swatch chart-c${(k % COLORS) + 1}`,
              'aria-hidden': 'true',
            }),
            c.displayName,
          ),
        ),
      );
      setMessage(total === 0 ? 'No activity in this range' : '', total === 0 ? 'empty' : '');
      fitWidth();
      // Wide ranges scroll: start at the newest end.
      scroller.scrollLeft = scroller.scrollWidth;
    },
  };
}
