import { isIP, Socket, connect as tcpConnect } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import {
  octetCountingFrame,
  SYSLOG_FACILITY_LOG_AUDIT,
  SyslogHeaderFields,
  syslogMessage,
} from './syslog-message';
import { DeliveryBatch, DeliveryError, DestinationTransport } from './transport';

/** How the syslog transport checks the receiver, and proves itself to it (mutual TLS). */
export interface SyslogTlsOptions {
  /** CA certificate(s), PEM, that signed the receiver's certificate. @default Node's root CAs */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The name the receiver's certificate must carry. @default `host` (when it is a name) */
  servername?: string;
  /** Refuse a receiver whose certificate does not verify. Turn off only to debug. @default true */
  rejectUnauthorized?: boolean;
  /** Client certificate chain, PEM, for receivers that authenticate senders (x509 auth modes). */
  cert?: string | Buffer;
  /** The client certificate's private key, PEM. */
  key?: string | Buffer;
}

/** Options of {@link SyslogTransport}. */
export interface SyslogTransportOptions {
  /** The receiver's host name or IP address. */
  host: string;
  /** The receiver's port. @default 6514 (syslog over TLS, RFC 5425) */
  port?: number;
  /**
   * TLS settings, or `false` for plain TCP, which only a loopback `host` may use (a relay on the
   * same machine, tests): audit events never cross a network in clear. @default {}
   */
  tls?: SyslogTlsOptions | false;
  /** APP-NAME of every message (printable ASCII, 48 characters at most). @default 'auditkit' */
  appName?: string;
  /** Syslog facility, 0 to 23. @default 13 (log audit) */
  facility?: number;
  /** HOSTNAME of every message. @default the machine's host name */
  hostname?: string;
  /**
   * The largest message the receiver takes, in bytes without the frame; a bigger event's JSON
   * is cut and flagged (docs/destinations-syslog-file.md). Raise it together with the receiver's
   * own limit (rsyslog: `global(maxMessageSize=...)`).
   * @default 8192 (rsyslog's default, RFC 5425's SHOULD)
   */
  maxMessageBytes?: number;
  /** How long connecting (and the TLS handshake) may take. @default 10000 */
  connectTimeoutMs?: number;
  /** How long one batch may take from connecting to the receiver's close. @default 30000 */
  timeoutMs?: number;
}

// Node's codes for a certificate the receiver or we refused: retrying cannot fix them.
const CERTIFICATE_ERROR =
  /CERT|ALTNAME|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALERT_(UNKNOWN_CA|BAD_CERT|CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE)/;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3})$/i;

function check(ok: boolean, option: string, rule: string): void {
  if (!ok) throw new TypeError(`SyslogTransport: option "${option}" ${rule}`);
}

function positiveInt(value: number, option: string, min = 1): void {
  check(Number.isInteger(value) && value >= min, option, `must be an integer of at least ${min}`);
}

/**
 * Sends each batch to a syslog receiver as RFC 5424 messages over TLS with RFC 5425 octet-counting
 * framing, one message per event.
 *
 * Acknowledgement: syslog has none at the application level, so each batch gets its own
 * connection; the transport writes every message, closes its side, and the batch counts as taken
 * only when the receiver closes cleanly in turn, which a receiver such as rsyslog does once it has
 * read the stream to its end. A refusal, reset, timeout or abort before that rejects with a
 * {@link DeliveryError} and the dispatcher offers the batch again, so a receiver may see a batch
 * twice, never a gap. Certificate failures are permanent errors. What the receiver does with the
 * messages after reading them (its queue, its disk) is its own durability.
 */
export class SyslogTransport implements DestinationTransport {
  private readonly host: string;
  private readonly port: number;
  private readonly tls: SyslogTlsOptions | false;
  private readonly header: SyslogHeaderFields;
  private readonly connectTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly open = new Set<Socket>();
  private closed = false;

  constructor(options: SyslogTransportOptions) {
    const {
      host,
      port = 6514,
      tls = {},
      appName = 'auditkit',
      facility = SYSLOG_FACILITY_LOG_AUDIT,
      hostname = osHostname(),
      maxMessageBytes = 8192,
      connectTimeoutMs = 10_000,
      timeoutMs = 30_000,
    } = options;
    check(typeof host === 'string' && host.trim() !== '', 'host', 'is required');
    check(Number.isInteger(port) && port > 0 && port < 65536, 'port', 'must be 1 to 65535');
    check(tls !== false || LOOPBACK.test(host), 'tls', 'can be false only for a loopback host');
    check(Number.isInteger(facility) && facility >= 0 && facility <= 23, 'facility', 'is 0 to 23');
    check(/^[\x21-\x7e]{1,48}$/.test(appName), 'appName', 'is 1 to 48 printable ASCII characters');
    check(
      /^[\x21-\x7e]{1,255}$/.test(hostname),
      'hostname',
      'is 1 to 255 printable ASCII characters',
    );
    // RFC 5424 section 6.1: every receiver takes 480 octets; below that nothing useful fits.
    positiveInt(maxMessageBytes, 'maxMessageBytes', 480);
    positiveInt(connectTimeoutMs, 'connectTimeoutMs');
    positiveInt(timeoutMs, 'timeoutMs');
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.header = { facility, hostname, appName, maxMessageBytes };
    this.connectTimeoutMs = connectTimeoutMs;
    this.timeoutMs = timeoutMs;
  }

  /** Sends the batch on a connection of its own; resolves once the receiver has closed cleanly. */
  async deliver(batch: DeliveryBatch, signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new DeliveryError('syslog transport is closed');
    if (signal?.aborted) throw new DeliveryError('syslog delivery aborted');
    // A test batch holds no event: it still connects, shakes hands and closes, so that a "send
    // test" says whether the receiver is there and takes our certificates.
    if (batch.events.length === 0)
      return batch.test ? this.send(Buffer.alloc(0), signal) : undefined;
    const payload = Buffer.concat(
      batch.events.map((e) => octetCountingFrame(syslogMessage(e, batch, this.header))),
    );
    await this.send(payload, signal);
  }

  /** Drops any connection still open (its delivery rejects); later deliveries reject. */
  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.open) socket.destroy(new Error('the transport was closed'));
    this.open.clear();
  }

  private send(payload: Buffer, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const where = `${this.host}:${this.port}`;
      const socket = this.connect();
      this.open.add(socket);
      let connected = false;
      let peerEnded = false;
      let failure: DeliveryError | null = null;

      const fail = (error: DeliveryError) => {
        failure ??= error;
        socket.destroy();
      };
      const onAbort = () => fail(new DeliveryError(`syslog delivery to ${where} aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const connectTimer = setTimeout(
        () =>
          fail(
            new DeliveryError(
              `syslog receiver ${where}: no connection within ${this.connectTimeoutMs} ms`,
            ),
          ),
        this.connectTimeoutMs,
      );
      const batchTimer = setTimeout(
        () =>
          fail(
            new DeliveryError(
              `syslog receiver ${where} did not take the batch within ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      );

      socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
        connected = true;
        clearTimeout(connectTimer);
        socket.end(payload);
      });
      // The receiver sends nothing back on a syslog stream; reading keeps its close visible.
      socket.on('data', () => undefined);
      socket.on('end', () => {
        // A close before our own end is flushed means the receiver stopped before our last byte.
        if (!socket.writableFinished)
          fail(new DeliveryError(`syslog receiver ${where} closed before the batch was sent`));
        peerEnded = true;
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        const permanent = CERTIFICATE_ERROR.test(code);
        fail(
          new DeliveryError(
            `syslog receiver ${where}${connected ? '' : ' (connecting)'}: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`,
            permanent,
          ),
        );
      });
      socket.once('close', () => {
        clearTimeout(connectTimer);
        clearTimeout(batchTimer);
        signal?.removeEventListener('abort', onAbort);
        this.open.delete(socket);
        if (!failure && !peerEnded)
          failure = new DeliveryError(`syslog receiver ${where} dropped the connection`);
        if (failure) reject(failure);
        else resolve();
      });
    });
  }

  private connect(): Socket {
    const { host, port } = this;
    if (this.tls === false) return tcpConnect({ host, port });
    const { servername, rejectUnauthorized = true, ...credentials } = this.tls;
    return tlsConnect({
      host,
      port,
      // SNI takes names only; an IP host is checked against the certificate's IP entries.
      servername: servername ?? (isIP(host) ? undefined : host),
      rejectUnauthorized,
      ...credentials,
    });
  }
}
