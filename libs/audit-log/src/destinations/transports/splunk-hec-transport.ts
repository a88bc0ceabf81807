import { hostname } from 'node:os';
import { httpPost, statusError } from './http-post';
import { DeliveredEvent, DeliveryBatch, DeliveryError, DestinationTransport } from './transport';

/** A Splunk HEC destination's settings. */
export interface SplunkHecSettings {
  /** The HEC base URL (`https://splunk.example:8088`); `/services/collector/event` is added. */
  url: string;
  /** The HEC token, sent as `Authorization: Splunk <token>`. */
  token: string;
  index?: string;
  /** @default 'auditkit' */
  source: string;
  /** @default 'auditkit:event' */
  sourcetype: string;
  /** @default this machine's host name */
  host?: string;
  ca?: string;
  timeoutMs: number;
}

/** The endpoint events are posted to, from the configured base URL. */
export function hecEndpoint(base: string): string {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/services/collector/event')
    ? path
    : `${path}/services/collector/event`;
  return url.toString();
}

// HEC's own codes that the same request would get again (bad token, disabled token, bad data,
// bad index...): the destination needs an admin, not a retry. 8 (internal error) and 9 (busy) are
// retried, as are the unknown ones.
const PERMANENT_HEC_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17]);

/**
 * Posts each batch to Splunk's HTTP Event Collector: one JSON event object per event, one after
 * the other in the body, as `/services/collector/event` takes them. Each carries the event
 * resource as `event`, its time in epoch seconds, and in `fields` (indexed fields) the org, its
 * seq and the batch's seq range and last chain hash. Delivered once HEC answers
 * `{"text":"Success","code":0}`.
 */
export class SplunkHecTransport implements DestinationTransport {
  private readonly endpoint: string;
  private readonly host: string;

  constructor(private readonly settings: SplunkHecSettings) {
    this.endpoint = hecEndpoint(settings.url);
    this.host = settings.host ?? hostname();
  }

  async deliver(batch: DeliveryBatch, signal?: AbortSignal): Promise<void> {
    const batchFields = {
      auditkit_org: batch.orgId,
      auditkit_destination: batch.destinationId,
      auditkit_batch_first_seq: batch.firstSeq,
      auditkit_batch_last_seq: batch.lastSeq,
      ...(batch.lastHash ? { auditkit_batch_last_hash: batch.lastHash } : {}),
    };
    // HEC refuses an empty body ("No data"): a test sends one marked event instead.
    const events: readonly DeliveredEvent[] = batch.test
      ? [{ type: 'auditkit-test', attributes: { time: new Date().toISOString() } }]
      : batch.events;
    const body = events
      .map((event) =>
        JSON.stringify({
          time: epochSeconds(event),
          host: this.host,
          source: this.settings.source,
          sourcetype: this.settings.sourcetype,
          ...(this.settings.index ? { index: this.settings.index } : {}),
          event,
          fields: {
            ...batchFields,
            auditkit_seq: seqOf(event),
            ...(batch.test ? { auditkit_test: 1 } : {}),
          },
        }),
      )
      .join('\n');
    const answer = await httpPost(
      this.endpoint,
      Buffer.from(body, 'utf8'),
      {
        Authorization: `Splunk ${this.settings.token}`,
        'Content-Type': 'application/json',
        'User-Agent': 'AuditKit-HEC/1',
        ...(events.length && !batch.test
          ? { 'AuditKit-Seq-Range': `${batch.firstSeq}-${batch.lastSeq}` }
          : {}),
        ...(batch.lastHash ? { 'AuditKit-Last-Hash': batch.lastHash } : {}),
      },
      { timeoutMs: this.settings.timeoutMs, ca: this.settings.ca, signal },
    );
    const reply = parseReply(answer.body);
    if (answer.status >= 200 && answer.status < 300) {
      if (reply?.code === 0) return;
      throw new DeliveryError(
        `Splunk HEC answered HTTP ${answer.status} without success (${describe(reply, answer.body)})`,
      );
    }
    if (reply && typeof reply.code === 'number') {
      const error = statusError(answer, 'Splunk HEC');
      const permanent = PERMANENT_HEC_CODES.has(reply.code) && answer.status !== 503;
      throw new DeliveryError(
        `Splunk HEC answered HTTP ${answer.status} (${describe(reply, answer.body)})`,
        permanent,
        error.retryAfterMs,
      );
    }
    throw statusError(answer, 'Splunk HEC');
  }

  async close(): Promise<void> {}
}

function parseReply(body: string): { text?: unknown; code?: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object'
      ? (parsed as { text?: unknown; code?: unknown })
      : undefined;
  } catch {
    return undefined;
  }
}

function describe(reply: { text?: unknown; code?: unknown } | undefined, body: string): string {
  if (reply && (reply.text !== undefined || reply.code !== undefined))
    return `code ${String(reply.code)}: ${String(reply.text).slice(0, 200)}`;
  return body.replace(/\s+/g, ' ').trim().slice(0, 200) || 'empty body';
}

function attributesOf(event: DeliveredEvent): Record<string, unknown> {
  const a = event.attributes;
  return a && typeof a === 'object' ? (a as Record<string, unknown>) : {};
}

/** The event's time as HEC wants it: epoch seconds, with milliseconds. */
function epochSeconds(event: DeliveredEvent): number {
  const ms = Date.parse(String(attributesOf(event).time));
  return Number.isFinite(ms) ? ms / 1000 : Date.now() / 1000;
}

function seqOf(event: DeliveredEvent): number | undefined {
  const seq = attributesOf(event).seq;
  return typeof seq === 'number' ? seq : undefined;
}
