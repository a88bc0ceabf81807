import { AddressInfo, createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP forwarder between the code under test and a real server (MariaDB), for simulating an
 * outage without touching the server: `cut()` drops every open connection and refuses new ones
 * until `restore()`. Point a URL at `port` instead of the server's own.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private accepted = 0;
  private loseCommitAck = false;
  // The cut a lost COMMIT answer has scheduled; it must not land in a later test.
  private pendingCut: NodeJS.Timeout | null = null;

  private readonly server: Server;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => this.handle(client));
  }

  /** Starts a proxy on a free loopback port forwarding to `targetHost:targetPort`. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The port the proxy listens on (127.0.0.1). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Whether the proxy is cut. */
  get isCut(): boolean {
    return this.refusing;
  }

  /** Connections open through the proxy right now (client and upstream sides). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Connections accepted and forwarded since the start. */
  get connectionsForwarded(): number {
    return this.accepted;
  }

  /** Drops every open connection at once and refuses new ones (closed on accept) until `restore()`. */
  cut(): void {
    if (this.pendingCut) clearTimeout(this.pendingCut);
    this.pendingCut = null;
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /**
   * Arms a one-shot fault: the next `COMMIT` a client sends reaches the server and commits, but
   * its answer never comes back; the proxy then cuts everything as `cut()` does. The client sees
   * its connection lost in the middle of COMMIT, not knowing whether it committed.
   */
  loseNextCommitAck(): void {
    this.loseCommitAck = true;
  }

  /** Forwards new connections again. */
  restore(): void {
    // A cut still pending happens now, before new connections are let through again.
    if (this.pendingCut) this.cut();
    this.refusing = false;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private handle(client: Socket): void {
    client.on('error', () => undefined);
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
    }
    let commitSent = false;
    const queries = new QueryEnds();
    client.on('data', (chunk: Buffer) => {
      if (this.loseCommitAck && queries.feed(chunk).some((q) => /(^|;\s*)COMMIT\s*$/i.test(q))) {
        this.loseCommitAck = false;
        commitSent = true;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (commitSent) {
        // The server is answering the packet that ends in COMMIT; the client never hears of it.
        // A multi-statement packet is answered statement by statement, so the cut waits a moment
        // for the server to get through its COMMIT (closing the socket earlier would make the
        // server stop and roll back instead).
        this.pendingCut ??= setTimeout(() => this.cut(), 150);
        return;
      }
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  }
}

/**
 * The ends of the COM_QUERY packets a client sends (3-byte length, sequence id, 0x03, then the
 * statement text), however TCP cuts them: a large multi-statement packet, whose COMMIT comes
 * last, arrives in many chunks.
 */
class QueryEnds {
  private header = Buffer.alloc(0);
  /** Bytes of the current packet still to come; 0 between packets. */
  private left = 0;
  private isQuery = false;
  private tail = '';

  /** The last characters of each query packet that ends in `chunk`. */
  feed(chunk: Buffer): string[] {
    const ended: string[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.left === 0) {
        const need = 5 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + need)]);
        at += Math.min(need, chunk.length - at);
        if (this.header.length < 5) break;
        this.left = Math.max(0, this.header.readUIntLE(0, 3) - 1);
        this.isQuery = this.header[4] === 0x03;
        this.header = Buffer.alloc(0);
        this.tail = '';
        if (this.left > 0) continue;
      }
      const take = Math.min(this.left, chunk.length - at);
      if (this.isQuery)
        this.tail = (this.tail + chunk.toString('latin1', at, at + take)).slice(-64);
      at += take;
      this.left -= take;
      if (this.left === 0 && this.isQuery) ended.push(this.tail);
    }
    return ended;
  }
}
