import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createConnection, createServer } from 'node:net';
import { waitFor } from '../../support/wait-for';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** How many keys match `pattern` (KEYS, inline command; its array header says how many). */
function countKeys(port: number, pattern: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => socket.write(`KEYS ${pattern}\r\n`));
    socket.once('data', (d) => {
      socket.destroy();
      const header = /^\*(\d+)\r\n/.exec(d.toString());
      if (header) resolve(Number(header[1]));
      else reject(new Error(`KEYS ${pattern}: ${d.toString().slice(0, 80)}`));
    });
    socket.once('error', reject);
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`KEYS ${pattern}: no answer`));
    });
  });
}

/**
 * A redis-server of the test's own, on its own port, without persistence: stopping it loses
 * every key, as a Redis restart without AOF/RDB does. Never the shared server.
 */
export class OwnRedisServer {
  private process?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await freePort());
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops the server (all keys are lost) and starts it again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** How many keys match a KEYS `pattern` now. */
  keyCount(pattern: string): Promise<number> {
    return countKeys(this.port, pattern);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.process = undefined;
  }

  private async launch(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(`redis-server on port ${this.port}`, () => ping(this.port), {
      timeoutMs: 10_000,
    });
  }
}
