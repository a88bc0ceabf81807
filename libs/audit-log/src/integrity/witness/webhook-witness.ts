import { createHmac } from 'node:crypto';
import type { SignedCheckpoint } from '../checkpoint';
import type { CheckpointWitness } from './checkpoint-witness.interface';

/** Options of a webhook witness. */
export interface WebhookWitnessOptions {
  /** Where checkpoints are POSTed as JSON. https, or http on a loopback address. */
  url: string;
  /** Signs each delivery (`AuditKit-Signature: t=<unix s>,v1=<hex HMAC-SHA256>`). */
  secret: string;
  /** Gives up on one delivery after this long. @default 10000 */
  timeoutMs?: number;
}

/**
 * POSTs each checkpoint to a receiver outside the database's reach: another team's service, a
 * SIEM, a ticket system. The body is the checkpoint's JSON; the signature covers
 * `<timestamp>.<body>`, as GitHub's and Stripe's webhooks do, so the receiver can tell
 * deliveries from AuditKit apart from forgeries and replays.
 */
export class WebhookCheckpointWitness implements CheckpointWitness {
  readonly name: string;
  private readonly url: URL;

  constructor(private readonly options: WebhookWitnessOptions) {
    this.url = new URL(options.url);
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(this.url.hostname);
    if (this.url.protocol !== 'https:' && !(this.url.protocol === 'http:' && loopback)) {
      throw new Error('a webhook witness needs an https URL (http only on a loopback address)');
    }
    this.name = `webhook:${this.url.origin}${this.url.pathname}`;
  }

  async publish(checkpoint: SignedCheckpoint): Promise<void> {
    const body = JSON.stringify(checkpoint);
    const t = Math.floor(Date.now() / 1000);
    const mac = createHmac('sha256', this.options.secret).update(`${t}.${body}`).digest('hex');
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'auditkit-signature': `t=${t},v1=${mac}` },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`${this.name} answered ${res.status}`);
  }
}
