import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DestinationTypeDefinition } from './destination-types';
import { parseFileFields, parseSyslogFields } from './extra-destination-fields';
import { FileTransport } from './transports/file-transport';
import { SyslogTransport } from './transports/syslog-transport';

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

/**
 * `syslog`: RFC 5424 over TLS (RFC 5425 framing) to `host:port`, the receiver's certificate
 * checked against `ca` (or the system's CAs) and `servername` (or `host`); mutual TLS with
 * `cert` and the write-only `key`.
 */
export const syslogDestination: DestinationTypeDefinition = {
  type: 'syslog',
  secretFields: ['key'],
  parse: parseSyslogFields,
  target: (c) => `syslog+tls://${String(c.host)}:${String(c.port)}`,
  createTransport: (s, context) =>
    new SyslogTransport({
      host: String(s.config.host),
      port: Number(s.config.port),
      tls: {
        ca: str(s.config.ca),
        servername: str(s.config.servername),
        cert: str(s.config.cert),
        key: s.secrets.key,
      },
      appName: str(s.config.appName),
      facility: Number(s.config.facility),
      connectTimeoutMs: context.timeoutMs,
      timeoutMs: context.timeoutMs,
    }),
};

/**
 * The directory of an org's files under the operator's: the org id itself when it is a plain
 * name, else a digest of it, so that no org id can name a path outside its own directory.
 */
export function orgDirectory(orgId: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(orgId)
    ? orgId
    : `org-${createHash('sha256').update(orgId).digest('hex').slice(0, 32)}`;
}

/**
 * `file`: a rotating NDJSON file for a shipping agent, at `<directory>/<org>/<path>`. Each org
 * writes under its own directory, so that no org admin can write into (or read through an
 * agent) another org's file, and none outside `directory`.
 */
export function fileDestination(directory: string): DestinationTypeDefinition {
  const root = resolve(directory);
  return {
    type: 'file',
    secretFields: [],
    parse: parseFileFields,
    target: (c) => `file: ${String(c.path)}`,
    createTransport: (s, context) => {
      const path = join(root, orgDirectory(context.orgId), String(s.config.path));
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
      return new FileTransport({
        path,
        maxBytes: Number(s.config.maxBytes),
        maxFiles: Number(s.config.maxFiles),
      });
    },
  };
}
