import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki, TestPki } from './rsyslog-certs';
import { waitFor } from './wait-for';

/** How the test rsyslog is set up. */
export interface RsyslogOptions {
  /** rsyslog's `maxMessageSize`. @default rsyslog's own (8k) */
  maxMessageSize?: number;
  /** How the TLS listener checks senders: `x509/name` wants a client certificate. @default 'anon' */
  authMode?: 'anon' | 'x509/name';
  /**
   * The receiving ruleset's queue. `direct`: the thread that reads a connection writes each
   * message to the file before it reads on, so what rsyslog has read survives a kill. `disk`: a
   * disk queue synced on every message, the same and a power loss too. Both are what
   * docs/destinations-syslog-file.md advises for at-least-once. @default 'memory' (rsyslog's own)
   */
  queue?: 'memory' | 'direct' | 'disk';
}

/** One message as rsyslog parsed it (its RFC 5424 parser and mmpstrucdata). */
export interface ReceivedMessage {
  pri: number;
  time: string;
  hostname: string;
  appName: string;
  procid: string;
  msgid: string;
  /** The STRUCTURED-DATA as it came, escapes included. */
  rawSd: string;
  /** The structured data as mmpstrucdata unescaped it: SD-ID → param → value. */
  sd: Record<string, Record<string, string>>;
  msg: string;
}

/**
 * A real rsyslogd (imtcp with the gtls stream driver, RFC 5425) run as a child process with its
 * own config, work directory, PKI and free ports, writing every message it parses to a file as
 * JSON. `stop()`/`kill()`/`restart()` simulate outages; the ports stay the same across restarts.
 */
export class Rsyslog {
  /** The TLS port (127.0.0.1). */
  port = 0;
  /** A plain-TCP port (127.0.0.1) of the same rsyslog. */
  plainPort = 0;
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly pki: TestPki,
    private readonly options: RsyslogOptions,
  ) {}

  /** Starts an rsyslogd of its own in a fresh temp directory. */
  static async start(options: RsyslogOptions = {}): Promise<Rsyslog> {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-rsyslog-'));
    mkdirSync(join(dir, 'work'));
    const rsyslog = new Rsyslog(dir, makeTestPki(dir), options);
    await rsyslog.launch();
    return rsyslog;
  }

  /** The file rsyslog writes each message to, one JSON object a line. */
  get receivedFile(): string {
    return join(this.dir, 'received.ndjson');
  }

  /** Whether rsyslogd is running. */
  get running(): boolean {
    return this.child !== null;
  }

  /** Every message rsyslog has written so far, in order. */
  received(): ReceivedMessage[] {
    if (!existsSync(this.receivedFile)) return [];
    const text = readFileSync(this.receivedFile, 'utf8');
    // Only whole lines: rsyslog may be in the middle of writing the last one.
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const m = JSON.parse(line) as Record<string, string>;
        return {
          pri: Number(m.pri),
          time: m.time,
          hostname: m.hostname,
          appName: m.appName,
          procid: m.procid,
          msgid: m.msgid,
          rawSd: m.rawSd,
          sd: m.sd ? (JSON.parse(m.sd) as ReceivedMessage['sd']) : {},
          msg: m.msg,
        };
      });
  }

  /** How many messages rsyslog has written so far (cheaper than `received()`). */
  receivedCount(): number {
    if (!existsSync(this.receivedFile)) return 0;
    const text = readFileSync(this.receivedFile);
    let lines = 0;
    for (let at = text.indexOf(0x0a); at !== -1; at = text.indexOf(0x0a, at + 1)) lines++;
    return lines;
  }

  /** Waits until rsyslog has written at least `count` messages, and returns them all. */
  async waitForReceived(count: number, timeoutMs = 20_000): Promise<ReceivedMessage[]> {
    const got = await waitFor(
      `rsyslog to write ${count} messages`,
      () => {
        const got = this.received();
        return got.length >= count ? got : null;
      },
      { timeoutMs },
    );
    return got as ReceivedMessage[];
  }

  /** Stops rsyslogd as an operator would (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Kills rsyslogd outright (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Starts rsyslogd again on the same ports with the same config. */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    await this.launch();
  }

  /** Stops rsyslogd and removes its directory. */
  async close(): Promise<void> {
    if (this.child) await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private config(): string {
    const { dir, pki, options } = this;
    const queue = {
      memory: '',
      direct: ' queue.type="Direct"',
      disk: ' queue.type="Disk" queue.filename="received" queue.syncQueueFiles="on" queue.checkpointInterval="1"',
    }[options.queue ?? 'memory'];
    const peer = options.authMode === 'x509/name' ? ' permittedPeer=["auditkit-client"]' : '';
    const maxSize = options.maxMessageSize ? ` maxMessageSize="${options.maxMessageSize}"` : '';
    return `
global(workDirectory="${dir}/work"${maxSize}
  defaultNetstreamDriverCAFile="${pki.caFile}"
  defaultNetstreamDriverCertFile="${pki.serverCertFile}"
  defaultNetstreamDriverKeyFile="${pki.serverKeyFile}")
module(load="imtcp")
module(load="mmpstrucdata")
input(type="imtcp" address="127.0.0.1" port="${this.port}" listenPortFileName="${dir}/port"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="${options.authMode ?? 'anon'}"${peer}
  ruleset="received")
input(type="imtcp" address="127.0.0.1" port="${this.plainPort}" listenPortFileName="${dir}/plain-port"
  streamDriver.name="ptcp" ruleset="received")
template(name="received" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="appName" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="rawSd" name="structured-data" format="jsonf")
  property(outname="sd" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
ruleset(name="received"${queue}) {
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file="${this.receivedFile}" template="received")
}
`;
  }

  private async launch(): Promise<void> {
    const conf = join(this.dir, 'rsyslog.conf');
    writeFileSync(conf, this.config());
    for (const f of ['port', 'plain-port']) rmSync(join(this.dir, f), { force: true });
    this.output = '';
    const child = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(this.dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.child === child) this.child = null;
    });
    const readPort = (file: string) => {
      if (exited) throw new Error(`rsyslogd exited at start:\n${this.output}`);
      const path = join(this.dir, file);
      return existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : 0;
    };
    // rsyslog writes the port files only for ports it picked (port 0, the first start).
    if (!this.port) this.port = await waitFor('rsyslogd to listen (TLS)', () => readPort('port'));
    if (!this.plainPort)
      this.plainPort = await waitFor('rsyslogd to listen (TCP)', () => readPort('plain-port'));
    await waitFor('rsyslogd to accept connections', async () => {
      if (exited) throw new Error(`rsyslogd exited at start:\n${this.output}`);
      return (await accepts(this.port)) && accepts(this.plainPort);
    });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.child = null;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
