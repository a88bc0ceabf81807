import { invalidField } from '../http/api-error';
import {
  DestinationBody,
  caField,
  httpsUrlField,
  refuseUnknown,
  stringField,
} from './destination-fields';
import { SplunkHecTransport } from './transports/splunk-hec-transport';
import { DestinationTransport } from './transports/transport';
import { WebhookTransport } from './transports/webhook-transport';

/** A destination's settings: `config` is shown by the API, `secrets` are write-only. */
export interface DestinationSettings {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** What a transport is made from: the stored settings and the dispatcher's limits. */
export interface TransportContext {
  id: string;
  orgId: string;
  /** The longest one delivery may take, in ms. */
  timeoutMs: number;
}

/**
 * One kind of destination, keyed by `type` (the `type` of a create body). The built-in ones are
 * `webhook` and `splunk_hec`; a host or the admin app adds more (e.g. `syslog`, `file`) through
 * the module's `types` option.
 */
export interface DestinationTypeDefinition {
  readonly type: string;
  /** The write-only fields, stored encrypted; the API says only whether each is set. */
  readonly secretFields: readonly string[];
  /**
   * Checks the type's own fields (the body without `type`, `name` and `start`) of a create body,
   * or of a PATCH body when `previous` is given (absent fields keep their value), and returns the
   * settings to store. Throws an ApiException (400 naming the field) on a bad one.
   */
  parse(body: DestinationBody, previous?: DestinationSettings): DestinationSettings;
  /** Where events go, in a few words, for lists (`https://siem.example/hook`). */
  target(config: Readonly<Record<string, unknown>>): string;
  /** The transport for stored settings; the dispatcher closes it when done with it. */
  createTransport(settings: DestinationSettings, context: TransportContext): DestinationTransport;
}

/** `previous[key]` under `body[key]`: a PATCH changes only what it names. */
function merged<T>(value: T | undefined, previous: unknown): T | undefined {
  return value !== undefined ? value : (previous as T | undefined);
}

const WEBHOOK_FIELDS = ['url', 'secret', 'ca'];

/** `webhook`: NDJSON batches POSTed to `url`, signed with HMAC-SHA256 of `secret`. */
export const webhookDestination: DestinationTypeDefinition = {
  type: 'webhook',
  secretFields: ['secret'],
  parse(body, previous) {
    refuseUnknown(body, WEBHOOK_FIELDS);
    const creating = previous === undefined;
    const url = merged(httpsUrlField(body, 'url'), previous?.config.url);
    if (!url) throw invalidField('/url', 'is required');
    const secret = stringField(body, 'secret', { required: creating, min: 16, max: 1024 });
    const ca = body.ca === null ? undefined : merged(caField(body), previous?.config.ca);
    return {
      config: { url, ...(ca ? { ca } : {}) },
      secrets: { secret: secret ?? previous!.secrets.secret },
    };
  },
  target: (config) => String(config.url),
  createTransport: (s, context) =>
    new WebhookTransport({
      url: String(s.config.url),
      secret: s.secrets.secret,
      ca: s.config.ca as string | undefined,
      timeoutMs: context.timeoutMs,
    }),
};

const HEC_FIELDS = ['url', 'token', 'index', 'source', 'sourcetype', 'host', 'ca'];
const SPLUNK_NAME = {
  max: 256,
  pattern: /^[\w.:\-/ ]+$/,
  hint: 'may hold letters, digits and _ . : - / only',
};

/** `splunk_hec`: events POSTed to `${url}/services/collector/event` with `Authorization: Splunk <token>`. */
export const splunkHecDestination: DestinationTypeDefinition = {
  type: 'splunk_hec',
  secretFields: ['token'],
  parse(body, previous) {
    refuseUnknown(body, HEC_FIELDS);
    const creating = previous === undefined;
    const p = previous?.config ?? {};
    const url = merged(httpsUrlField(body, 'url'), p.url);
    if (!url) throw invalidField('/url', 'is required');
    const token = stringField(body, 'token', { required: creating, max: 256 });
    const config: Record<string, unknown> = { url };
    for (const name of ['index', 'source', 'sourcetype', 'host'] as const) {
      const value =
        body[name] === null ? undefined : merged(stringField(body, name, SPLUNK_NAME), p[name]);
      if (value !== undefined) config[name] = value;
    }
    const ca = body.ca === null ? undefined : merged(caField(body), p.ca);
    if (ca) config.ca = ca;
    return { config, secrets: { token: token ?? previous!.secrets.token } };
  },
  target: (config) => String(config.url),
  createTransport: (s, context) =>
    new SplunkHecTransport({
      url: String(s.config.url),
      token: s.secrets.token,
      index: s.config.index as string | undefined,
      source: (s.config.source as string | undefined) ?? 'auditkit',
      sourcetype: (s.config.sourcetype as string | undefined) ?? 'auditkit:event',
      host: s.config.host as string | undefined,
      ca: s.config.ca as string | undefined,
      timeoutMs: context.timeoutMs,
    }),
};

/** The types every AuditDestinationsModule knows. */
export const BUILTIN_DESTINATION_TYPES: readonly DestinationTypeDefinition[] = [
  webhookDestination,
  splunkHecDestination,
];
