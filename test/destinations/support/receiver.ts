import { createHmac, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One request a receiver got, with what it answered. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The seqs of the events in the body, in order. */
  seqs: number[];
  /** The status answered; 0 when the answer never left (held, or the socket was cut). */
  status: number;
  signatureOk?: boolean;
}

/**
 * How the receiver answers the next request: a status (after `delayMs`), `hold` (never answers:
 * the batch arrived, its acknowledgement is lost), or `destroy` (cuts the connection).
 */
export type Behaviour =
  | {
      kind: 'status';
      status: number;
      delayMs?: number;
      headers?: Record<string, string>;
      body?: string;
    }
  | { kind: 'hold' }
  | { kind: 'destroy' };

/** A real HTTP(S) server of the test's own that takes webhook or HEC deliveries. */
export class TestReceiver {
  readonly received: Received[] = [];
  /** Every answer from now on, unless `next` has one queued. */
  behaviour: Behaviour = { kind: 'status', status: 200 };
  private readonly queued: Behaviour[] = [];
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  port = 0;

  private constructor(
    private readonly options: {
      secret?: string;
      tls?: { key: string; cert: string };
      hec?: boolean;
    },
  ) {}

  static async start(
    options: {
      secret?: string;
      tls?: { key: string; cert: string };
      hec?: boolean;
      port?: number;
    } = {},
  ): Promise<TestReceiver> {
    const r = new TestReceiver(options);
    await r.listen(options.port ?? 0);
    return r;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Answers the next request(s) this way, then goes back to `behaviour`. */
  next(...b: Behaviour[]): void {
    this.queued.push(...b);
  }

  /** The seqs taken (answered 2xx), in the order they arrived. */
  acked(): number[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.seqs);
  }

  /** Every seq that arrived, answered or not. */
  arrived(): number[] {
    return this.received.flatMap((r) => r.seqs);
  }

  async listen(port: number): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = this.options.tls
      ? createHttpsServer(this.options.tls, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening (connection refused from now on); `listen(this.port)` brings it back. */
  async stop(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: Received = {
        path: req.url ?? '',
        headers: req.headers,
        body,
        seqs: this.seqsOf(body),
        status: 0,
        signatureOk: this.options.secret
          ? verify(this.options.secret, req.headers, body)
          : undefined,
      };
      this.received.push(entry);
      const b = this.queued.shift() ?? this.behaviour;
      if (b.kind === 'hold') {
        this.held.push(res);
        return;
      }
      if (b.kind === 'destroy') {
        req.socket.destroy();
        return;
      }
      const answer = () => {
        entry.status = b.status;
        const ok = b.status >= 200 && b.status < 300;
        const text =
          b.body ??
          (this.options.hec
            ? JSON.stringify(
                ok ? { text: 'Success', code: 0 } : { text: 'Server is busy', code: 9 },
              )
            : '');
        res.writeHead(b.status, { 'Content-Type': 'application/json', ...(b.headers ?? {}) });
        res.end(text);
      };
      if (b.delayMs) setTimeout(answer, b.delayMs);
      else answer();
    });
  }

  private seqsOf(body: string): number[] {
    if (!body) return [];
    // NDJSON for webhooks; HEC's event objects are one per line too, as AuditKit sends them.
    return body
      .split('\n')
      .filter((l) => l)
      .map((l) => {
        const o = JSON.parse(l) as {
          attributes?: { seq?: number };
          event?: { attributes?: { seq?: number } };
        };
        return Number(this.options.hec ? o.event?.attributes?.seq : o.attributes?.seq);
      });
  }
}

/** The receiver's check, as docs/destinations.md shows it. */
export function verify(secret: string, headers: IncomingMessage['headers'], body: string): boolean {
  const header = String(headers['auditkit-signature'] ?? '');
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  if (!parts.t || !parts.v1 || parts.t !== String(headers['auditkit-timestamp'])) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
