/* Turning API values into text: strings, counts, dates, JSON. */

export function isString(v) {
  return typeof v === 'string' && v !== '';
}

export function str(v) {
  return v === undefined || v === null ? '' : String(v);
}

export function formatCount(n) {
  return new Intl.NumberFormat().format(n);
}

export function plural(n, one, many) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export const dateFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});
export const timeFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
export const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });
export const checkpointFmt = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});

export function parseTime(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function json(value) {
  try {
    return JSON.stringify(value === undefined ? null : value, null, 2);
  } catch {
    return String(value);
  }
}
