import { createHmac } from 'node:crypto';
import { ulid } from '../../common/ulid';
import { httpPost, statusError } from './http-post';
import { DeliveryBatch, DestinationTransport } from './transport';

/** A webhook destination's settings. */
export interface WebhookSettings {
  url: string;
  /** The HMAC-SHA256 key the receiver checks signatures with. */
  secret: string;
  /** PEM CA certificates trusted for this receiver instead of the system's. */
  ca?: string;
  timeoutMs: number;
}

/** Header names of a webhook delivery (docs/destinations.md). */
export const WEBHOOK_HEADERS = {
  timestamp: 'AuditKit-Timestamp',
  signature: 'AuditKit-Signature',
  delivery: 'AuditKit-Delivery',
  seqRange: 'AuditKit-Seq-Range',
  lastHash: 'AuditKit-Last-Hash',
  org: 'AuditKit-Org',
  destination: 'AuditKit-Destination',
  test: 'AuditKit-Test',
} as const;

/**
 * `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 over `${timestamp}.${body}` with the destination's
 * secret, as Stripe signs its webhooks (GitHub's sha256= carries no timestamp, so it cannot
 * refuse a replay).
 */
export function webhookSignature(secret: string, timestamp: number, body: Buffer | string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * POSTs each batch as NDJSON (one event per line, in seq order), signed, with the batch's seq
 * range and last chain hash in headers. A 2xx is delivered; see `statusError` for the rest.
 */
export class WebhookTransport implements DestinationTransport {
  constructor(
    private readonly settings: WebhookSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async deliver(batch: DeliveryBatch, signal?: AbortSignal): Promise<void> {
    const body = Buffer.from(batch.events.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-ndjson',
      'User-Agent': 'AuditKit-Webhook/1',
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [WEBHOOK_HEADERS.signature]: webhookSignature(this.settings.secret, timestamp, body),
      [WEBHOOK_HEADERS.delivery]: ulid(),
      [WEBHOOK_HEADERS.org]: batch.orgId,
      [WEBHOOK_HEADERS.destination]: batch.destinationId,
    };
    if (batch.events.length)
      headers[WEBHOOK_HEADERS.seqRange] = `${batch.firstSeq}-${batch.lastSeq}`;
    if (batch.lastHash) headers[WEBHOOK_HEADERS.lastHash] = batch.lastHash;
    if (batch.test) headers[WEBHOOK_HEADERS.test] = 'true';
    const answer = await httpPost(this.settings.url, body, headers, {
      timeoutMs: this.settings.timeoutMs,
      ca: this.settings.ca,
      signal,
    });
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer, 'The webhook');
  }

  async close(): Promise<void> {}
}
