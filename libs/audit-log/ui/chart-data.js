/*
 * Loading the activity chart: GET events-histogram for the applied filters, into the chart that
 * activity-chart.js draws. Reloaded with the first page of the log, never with "Load more".
 */

import { createActivityChart } from './activity-chart.js';
import { api, ApiError, describeError, isAbort } from './api.js';
import { narrowToSpan, queryFor } from './filters.js';
import { str } from './format.js';
import { state } from './state.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** What the API charts when no `from` is given. */
const DEFAULT_RANGE = 30 * DAY;
/** Up to this range, a bar per hour; past it, a bar per day. */
const HOURLY_UP_TO = 3 * DAY;

let chart = null;

/** Draws an (empty) chart into `container`; `loadChart()` fills it. */
export function mountActivityChart(container) {
  if (state.chartController) state.chartController.abort();
  state.chartController = null;
  chart = container ? createActivityChart(container, narrowToSpan) : null;
}

/** The browser's offset now, as `±HH:MM`: days start at the viewer's midnight. */
export function browserUtcOffset(date = new Date()) {
  const minutes = -date.getTimezoneOffset();
  // The API takes quarter hours from -12:00 to +14:00; anything else is charted in UTC.
  if (minutes % 15 !== 0 || minutes < -720 || minutes > 840) return '+00:00';
  const abs = Math.abs(minutes);
  const pad = (n) => String(n).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The histogram query of the applied filters `f`, as of `now`. */
export function histogramQuery(f, now = Date.now()) {
  const params = queryFor(f);
  const to = params.has('to') ? Date.parse(params.get('to')) : now;
  const from = params.has('from') ? Date.parse(params.get('from')) : to - DEFAULT_RANGE;
  params.set('interval', to - from <= HOURLY_UP_TO ? 'hour' : 'day');
  params.set('utcOffset', browserUtcOffset());
  return params;
}

/** Reloads the chart for the applied filters; a newer call aborts an older one. */
export async function loadChart() {
  if (!chart) return;
  if (state.chartController) state.chartController.abort();
  const mine = new AbortController();
  state.chartController = mine;
  const target = chart;
  target.setLoading();
  try {
    const json = await api(
      `orgs/${encodeURIComponent(state.org)}/events-histogram?${histogramQuery(state.applied)}`,
      { signal: mine.signal },
    );
    if (mine !== state.chartController) return;
    const meta = json.meta || {};
    target.update({
      buckets: Array.isArray(json.data) ? json.data : [],
      interval: meta.interval === 'hour' ? 'hour' : 'day',
      categories: (Array.isArray(meta.categories) ? meta.categories : []).map((c) => ({
        id: str(c.id),
        displayName: state.categories.get(str(c.id)) || str(c.displayName) || str(c.id),
      })),
      utcOffset: str(meta.utcOffset),
      from: str(meta.from),
      to: str(meta.to),
    });
  } catch (err) {
    if (isAbort(err) || mine !== state.chartController) return;
    // The log's own request deals with an expired session.
    if (err instanceof ApiError && err.status === 401) return;
    target.setError(describeError(err));
  } finally {
    if (mine === state.chartController) state.chartController = null;
  }
}
