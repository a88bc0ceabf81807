import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/**
 * A TCP forwarder to rsyslog whose `nth` connection forwards only its first `bytes` bytes (more
 * than a 16 KiB TLS record, so rsyslog can read some of it) and holds the rest back, as a slow
 * network would; a connection closes when its other side does.
 */
export class StallingProxy {
  /** Whether the stalling connection has used up its bytes. */
  stalled = false;
  private connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
    private readonly nth: number,
    private readonly bytes: number,
  ) {
    server.on('connection', (client) => this.forward(client));
  }

  /** Listens on a free loopback port, forwarding to `targetPort`. */
  static async start(targetPort: number, nth: number, bytes: number): Promise<StallingProxy> {
    const proxy = new StallingProxy(
      // Half-open: a client's end must reach rsyslog, not bounce back as the proxy's own.
      createServer({ allowHalfOpen: true }),
      targetPort,
      nth,
      bytes,
    );
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The port to send to instead of rsyslog's (127.0.0.1). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private forward(client: Socket): void {
    const stalls = ++this.connections === this.nth;
    let budget = stalls ? this.bytes : Infinity;
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => undefined);
      a.on('close', () => {
        this.sockets.delete(a);
        // Bytes held back are bytes in flight to a receiver that is gone: its TCP resets.
        if (b === client && budget <= 0) client.resetAndDestroy();
        else b.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => {
      if (budget === Infinity) upstream.end();
    });
    client.on('data', (chunk: Buffer) => {
      if (budget <= 0) return;
      upstream.write(chunk.subarray(0, budget));
      budget -= chunk.length;
      if (budget <= 0) this.stalled = true;
    });
  }
}
