import { invalidField } from '../http/api-error';
import {
  DestinationBody,
  caField,
  intField,
  refuseUnknown,
  stringField,
} from './destination-fields';
import type { DestinationSettings } from './destination-types';

// The create and PATCH bodies of the `syslog` and `file` destinations, whose transports live in
// transports/ beside the others. A type definition for each (docs/destinations.md) pairs these
// with its transport and is given to the module's `types` option.

const SYSLOG_FIELDS = ['host', 'port', 'ca', 'servername', 'appName', 'facility', 'cert', 'key'];
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$|^\[?[0-9A-Fa-f:.]+\]?$/;
// RFC 5424 APP-NAME: 1 to 48 printable US-ASCII characters, no space.
const APP_NAME = /^[\x21-\x7e]{1,48}$/;

/**
 * `syslog`: RFC 5424 over TCP with TLS. `host`, `port` (6514 by default); `ca` (PEM) to trust
 * instead of the system's CAs and `servername` to check the certificate against; `appName`
 * (`auditkit`) and `facility` (0 to 23, 13 "log audit" by default); for mutual TLS `cert` (PEM)
 * and the write-only `key`.
 */
export function parseSyslogFields(
  body: DestinationBody,
  previous?: DestinationSettings,
): DestinationSettings {
  refuseUnknown(body, SYSLOG_FIELDS);
  const p = previous?.config ?? {};
  const config: Record<string, unknown> = {};
  const host =
    stringField(body, 'host', {
      max: 255,
      pattern: HOSTNAME,
      hint: 'must be a host name or an IP address',
    }) ?? p.host;
  if (host === undefined) throw invalidField('/host', 'is required');
  config.host = host;
  config.port = intField(body, 'port', { min: 1, max: 65535 }) ?? p.port ?? 6514;
  const servername = stringField(body, 'servername', {
    max: 255,
    pattern: HOSTNAME,
    hint: 'must be a host name',
  });
  const keep = (name: string, value: unknown) => {
    const v = body[name] === null ? undefined : (value ?? p[name]);
    if (v !== undefined) config[name] = v;
  };
  keep('ca', caField(body, 'ca'));
  keep('servername', servername);
  config.appName =
    stringField(body, 'appName', {
      max: 48,
      pattern: APP_NAME,
      hint: 'must be 1 to 48 printable ASCII characters without spaces',
    }) ??
    p.appName ??
    'auditkit';
  config.facility = intField(body, 'facility', { min: 0, max: 23 }) ?? p.facility ?? 13;
  keep('cert', caField(body, 'cert'));
  const secrets: Record<string, string> = {};
  const key =
    body.key === null
      ? undefined
      : stringField(body, 'key', {
          max: 64 * 1024,
          multiline: true,
          pattern: /^-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\s*$/,
          hint: 'must be a PEM private key',
        });
  const keptKey = key ?? (body.key === null ? undefined : previous?.secrets.key);
  if (keptKey) secrets.key = keptKey;
  if ((config.cert === undefined) !== (keptKey === undefined))
    throw invalidField(
      config.cert === undefined ? '/cert' : '/key',
      'is needed with the other for mutual TLS',
    );
  return { config, secrets };
}

const FILE_FIELDS = ['path', 'maxBytes', 'maxFiles'];
// A name under the operator's directory: an org admin must not choose where the server writes.
const RELATIVE_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * `file`: NDJSON appended to `path`, rotated at `maxBytes` (100 MiB by default), keeping
 * `maxFiles` (5) rotated files. `path` is relative to a directory the operator configures (the
 * transport resolves it there), so that an org admin cannot write anywhere else on the server.
 */
export function parseFileFields(
  body: DestinationBody,
  previous?: DestinationSettings,
): DestinationSettings {
  refuseUnknown(body, FILE_FIELDS);
  const p = previous?.config ?? {};
  const path =
    stringField(body, 'path', {
      max: 255,
      pattern: RELATIVE_PATH,
      hint: 'must be a relative path of letters, digits, ".", "_", "-" and "/", without ".." (it is taken under the directory the operator set)',
    }) ?? p.path;
  if (path === undefined) throw invalidField('/path', 'is required');
  return {
    config: {
      path,
      maxBytes:
        intField(body, 'maxBytes', { min: 1024, max: 1024 ** 4 }) ??
        p.maxBytes ??
        100 * 1024 * 1024,
      maxFiles: intField(body, 'maxFiles', { min: 1, max: 1000 }) ?? p.maxFiles ?? 5,
    },
    secrets: {},
  };
}
