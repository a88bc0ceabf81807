import { isIP } from 'node:net';
import { invalidField } from '../http/api-error';

// Checks of the fields of a destination's body, each answering a 400 that names the field by
// its JSON pointer (docs/api.md). Shared by every destination type.

/** A body of POST or PATCH destinations, as JSON gave it. */
export type DestinationBody = Readonly<Record<string, unknown>>;

/** A string field: trimmed of nothing, at most `max` characters, absent unless `required`. */
export function stringField(
  body: DestinationBody,
  name: string,
  options: {
    required?: boolean;
    min?: number;
    max: number;
    pattern?: RegExp;
    hint?: string;
    /** Line breaks allowed (PEM); other control characters never are. */
    multiline?: boolean;
  },
): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (options.required) throw invalidField(`/${name}`, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') throw invalidField(`/${name}`, 'must be a string');
  const min = options.min ?? 1;
  if (value.length < min)
    throw invalidField(
      `/${name}`,
      min === 1 ? 'must not be empty' : `must be at least ${min} characters`,
    );
  if (value.length > options.max)
    throw invalidField(`/${name}`, `must be at most ${options.max} characters`);
  if (hasControl(value, options.multiline === true))
    throw invalidField(`/${name}`, 'must not contain control characters');
  if (options.pattern && !options.pattern.test(value))
    throw invalidField(`/${name}`, options.hint ?? 'is not in the expected form');
  return value;
}

/** A whole number field from `min` to `max`. */
export function intField(
  body: DestinationBody,
  name: string,
  options: { required?: boolean; min: number; max: number },
): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (options.required) throw invalidField(`/${name}`, 'is required');
    return undefined;
  }
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < options.min ||
    value > options.max
  )
    throw invalidField(`/${name}`, `must be a whole number from ${options.min} to ${options.max}`);
  return value;
}

/** A PEM bundle of CA certificates, trusted instead of the system's for this destination. */
export function caField(body: DestinationBody, name = 'ca'): string | undefined {
  return stringField(body, name, {
    max: 64 * 1024,
    multiline: true,
    pattern: /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/,
    hint: 'must be PEM certificates (-----BEGIN CERTIFICATE-----)',
  });
}

/** Whether `hostname` (as `URL.hostname` gives it) is this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * An HTTPS URL; plain `http://` only to a loopback address, so that local receivers and tests
 * work while nothing leaves the machine in clear. No user or password in it: credentials go in
 * the write-only fields, since the URL is shown to every org admin.
 */
export function httpsUrlField(body: DestinationBody, name = 'url'): string | undefined {
  const raw = stringField(body, name, { max: 2048 });
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidField(`/${name}`, 'is not a valid URL');
  }
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname))
      throw invalidField(
        `/${name}`,
        'must use https (http is accepted only for loopback addresses)',
      );
  } else if (url.protocol !== 'https:') {
    throw invalidField(`/${name}`, 'must be an https URL');
  }
  if (url.username || url.password)
    throw invalidField(`/${name}`, 'must not contain a user or password; use the secret fields');
  if (url.hash) throw invalidField(`/${name}`, 'must not have a fragment');
  return url.toString();
}

/** Refuses every field of `body` that is not in `known`, naming the first. */
export function refuseUnknown(body: DestinationBody, known: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key))
      throw invalidField(`/${key}`, `should not exist`, 400, 'unknown_field');
  }
}

/** Whether `value` has a C0 control character or DEL (line breaks allowed when `multiline`). */
function hasControl(value: string, multiline: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (multiline && (c === 10 || c === 13)) continue;
    if (c < 32 || c === 127) return true;
  }
  return false;
}
