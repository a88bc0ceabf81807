import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions, verifyEventChain } from '@auditkit/nestjs';
import { signAuditToken } from '@auditkit/nestjs/admin';
import { createTestDatabase, MYSQL_URL, TestDatabase } from '../support/databases';
import { TcpProxy } from '../support/tcp-proxy';

// The fault suite: the built admin app (as `npm start` runs it) on MariaDB behind the tests' TCP
// proxy, and clients that do what the API contract asks of them: send each event with its own
// Idempotency-Key and, on a 5xx or a lost connection, send it again with the same key and body.
// Meanwhile the database is cut and restored, a COMMIT answer is lost, and the app is killed
// with SIGKILL and started again. At the end every key must be stored exactly once, no key may be
// stuck, every org's seqs must be gap-free and its chain must verify.

// The built entry point (`npm test` builds first).
const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'main.js');
const SECRET = 'fault-suite-secret-fault-suite-secret-0123';
const ORGS = ['fault-a', 'fault-b', 'fault-c', 'fault-d'];
const CLIENTS = 16;
// Each client sends at least this many events, and goes on with new ones while faults happen.
const MIN_EVENTS_PER_CLIENT = 5;
const THINK_MS = 120;
// Bounds on one event's retries: the suite always ends.
const MAX_TRIES = 500;
const REQUEST_TIMEOUT_MS = 5_000;
const CLIENT_DEADLINE_MS = 40_000;
const START_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The admin app in a process of its own, on a port of its choosing. */
class AdminProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(env: Record<string, string>): Promise<AdminProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const listening = /AuditKit admin listening on http:\/\/localhost:(\d+)/.exec(output);
      if (listening) return new AdminProcess(child, Number(listening[1]));
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`the admin app did not start:\n${output}`);
      }
      await sleep(50);
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills the process at once (no shutdown hooks, nothing flushed). */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}

interface Figures {
  acknowledged: number;
  created: number;
  replayed: number;
  retries: number;
  statuses: Record<number, number>;
  connectionErrors: number;
  kills: number;
  cuts: number;
  lostCommitAnswers: number;
}

describe('the fault suite: retrying clients through database cuts and app kills (MariaDB)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let reader: DataSource;
  let dataDir: string;
  let app: AdminProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const server = new URL(MYSQL_URL);
    proxy = await TcpProxy.start(Number(server.port || 3306), server.hostname);
    reader = new DataSource(auditDataSourceOptions(db.url));
    await reader.initialize();
    dataDir = mkdtempSync(join(tmpdir(), 'auditkit-faults-'));
  });

  afterAll(async () => {
    await app?.kill();
    await proxy?.close();
    await reader?.destroy();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function startApp(): Promise<AdminProcess> {
    app = await AdminProcess.start({
      AUDITKIT_DATA_DIR: dataDir,
      DATABASE_URL: proxy.urlFor(db.url),
      PORT: '0',
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_SCHEDULER: 'false',
    });
    return app;
  }

  it('stores every event its client kept retrying exactly once, with no key stuck', async () => {
    const began = Date.now();
    await startApp();
    const figures: Figures = {
      acknowledged: 0,
      created: 0,
      replayed: 0,
      retries: 0,
      statuses: {},
      connectionErrors: 0,
      kills: 0,
      cuts: 0,
      lostCommitAnswers: 0,
    };
    // Each client is a principal of its own, so the per-principal rate limit sees 16 callers.
    const tokens = await Promise.all(
      Array.from({ length: CLIENTS }, (_, c) =>
        signAuditToken(
          {
            sub: `fault-client-${c}`,
            orgs: { [ORGS[c % ORGS.length]]: ['site-admin'] },
            scope: 'events:write',
          },
          SECRET,
          3600,
        ),
      ),
    );

    /** Every key a client sent: its org, body, and the event id it was acknowledged with. */
    const sent = new Map<string, { org: string; body: string; id?: string }>();
    const gaveUp: string[] = [];
    const refused: string[] = [];

    /** Sends one event until it is acknowledged; false when it gave up (bounded). */
    async function deliver(c: number, key: string, org: string, body: string): Promise<boolean> {
      const deadline = Date.now() + CLIENT_DEADLINE_MS;
      for (let tries = 1; tries <= MAX_TRIES && Date.now() < deadline; tries++) {
        if (tries > 1) {
          figures.retries += 1;
          await sleep(Math.min(250, 20 * tries) + Math.random() * 30);
        }
        try {
          const res = await fetch(`http://127.0.0.1:${app!.port}/admin/v1/orgs/${org}/events`, {
            method: 'POST',
            headers: {
              Authorization: `Bearer ${tokens[c]}`,
              'Content-Type': 'application/json',
              'Idempotency-Key': key,
            },
            body,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const text = await res.text();
          if (res.status === 200 || res.status === 201) {
            sent.get(key)!.id = JSON.parse(text).data.id;
            figures.acknowledged += 1;
            if (res.status === 201) figures.created += 1;
            else figures.replayed += 1;
            return true;
          }
          figures.statuses[res.status] = (figures.statuses[res.status] ?? 0) + 1;
          if (res.status < 500 && res.status !== 429) {
            refused.push(`${key}: ${res.status} ${text.slice(0, 200)}`);
            return false;
          }
        } catch {
          figures.connectionErrors += 1;
        }
      }
      gaveUp.push(key);
      return false;
    }

    let faulting = true;
    async function client(c: number): Promise<void> {
      const org = ORGS[c % ORGS.length];
      for (let i = 0; faulting || i < MIN_EVENTS_PER_CLIENT; i++) {
        const key = `client-${c}-event-${i}`;
        const body = JSON.stringify({
          action: 'group_created',
          actor: { id: `fault-client-${c}`, type: 'user' },
          targets: [{ id: key, type: 'group', name: key }],
          metadata: { client: c, event: i },
        });
        sent.set(key, { org, body });
        if (!(await deliver(c, key, org, body))) return;
        await sleep(THINK_MS * (0.5 + Math.random()));
      }
    }

    async function conductor(): Promise<void> {
      await sleep(1000);
      // The database goes away and comes back.
      proxy.cut();
      figures.cuts += 1;
      await sleep(1500);
      proxy.restore();
      await sleep(1000);
      // The app dies under load and is started again.
      await app!.kill();
      figures.kills += 1;
      await sleep(300);
      await startApp();
      await sleep(1000);
      // A batch commits but its answer never arrives (the proxy cuts right after).
      proxy.loseNextCommitAck();
      for (let waited = 0; !proxy.isCut && waited < 3000; waited += 50) await sleep(50);
      if (proxy.isCut) figures.lostCommitAnswers += 1;
      await sleep(300);
      proxy.restore();
      await sleep(800);
      // The database goes away, and the app dies while it is away.
      proxy.cut();
      figures.cuts += 1;
      await sleep(700);
      await app!.kill();
      figures.kills += 1;
      await sleep(500);
      proxy.restore();
      await startApp();
      await sleep(1000);
      proxy.cut();
      figures.cuts += 1;
      await sleep(1000);
      proxy.restore();
      await sleep(1000);
      faulting = false;
    }

    await Promise.all([conductor(), ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);

    // No key stuck: every one, sent once more now, is answered with the event it was stored as.
    const keys = [...sent.keys()];
    const replays: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < keys.length) {
          const key = keys[next++];
          const { org, body, id } = sent.get(key)!;
          const client = Number(/^client-(\d+)-/.exec(key)![1]);
          try {
            const res = await fetch(`http://127.0.0.1:${app!.port}/admin/v1/orgs/${org}/events`, {
              method: 'POST',
              headers: {
                Authorization: `Bearer ${tokens[client]}`,
                'Content-Type': 'application/json',
                'Idempotency-Key': key,
              },
              body,
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            const text = await res.text();
            const stored = res.status === 200 ? JSON.parse(text).data.id : undefined;
            if (res.status !== 200 || (id !== undefined && stored !== id))
              replays.push(
                `${key}: ${res.status} ${stored ?? text.slice(0, 120)} (acknowledged as ${id})`,
              );
          } catch (err) {
            replays.push(`${key}: ${(err as Error).message}`);
          }
        }
      }),
    );

    // What the database holds, read directly (never through the proxy).
    const events: { id: string; org_id: string; seq: number | string; targets: string }[] =
      await reader.query(
        `SELECT id, org_id, seq, targets FROM auditkit_events WHERE org_id IN (${ORGS.map(() => '?').join(', ')}) ORDER BY org_id, seq`,
        ORGS,
      );
    const claims: { org_id: string; idem_key: string; event_id: string }[] = await reader.query(
      `SELECT org_id, idem_key, event_id FROM auditkit_idempotency_keys WHERE org_id IN (${ORGS.map(() => '?').join(', ')})`,
      ORGS,
    );
    const eventsByKey = new Map<string, string[]>();
    for (const e of events) {
      const key = JSON.parse(e.targets)[0].id as string;
      eventsByKey.set(key, [...(eventsByKey.get(key) ?? []), e.id]);
    }
    const claimByKey = new Map(claims.map((c) => [c.idem_key, c.event_id]));
    const notOnce: string[] = [];
    for (const [key, { id }] of sent) {
      const ids = eventsByKey.get(key) ?? [];
      if (ids.length !== 1 || ids[0] !== id || claimByKey.get(key) !== id)
        notOnce.push(
          `${key}: stored ${ids.length}x ${ids}, acknowledged ${id}, claimed ${claimByKey.get(key)}`,
        );
    }
    const chains = await Promise.all(ORGS.map((org) => verifyEventChain(reader, org)));
    const gaps = ORGS.filter((org) => {
      const seqs = events.filter((e) => e.org_id === org).map((e) => Number(e.seq));
      return seqs.some((s, i) => s !== i + 1);
    });

    const statuses = Object.entries(figures.statuses)
      .map(([status, n]) => `${n}x ${status}`)
      .join(', ');
    process.stderr.write(
      `\nfault suite: ${figures.acknowledged} events acknowledged (${figures.created} 201, ${figures.replayed} 200) ` +
        `by ${CLIENTS} clients in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
        `${figures.retries} retries (${statuses || 'no error answers'}; ${figures.connectionErrors} connection errors); ` +
        `${figures.kills} kills, ${figures.cuts} cuts, ${figures.lostCommitAnswers} lost COMMIT answer; ` +
        `${events.length} events stored, ${notOnce.length} keys not stored exactly once, ` +
        `${gaveUp.length} gave up, ${replays.length} stuck\n`,
    );

    expect(refused).toEqual([]);
    expect(gaveUp).toEqual([]);
    expect(notOnce).toEqual([]);
    expect(replays).toEqual([]);
    expect(events).toHaveLength(sent.size);
    expect(gaps).toEqual([]);
    expect(chains.filter((c) => !c.ok)).toEqual([]);
    // The faults did happen, and clients did retry through them.
    expect(figures.kills).toBe(2);
    expect(figures.retries).toBeGreaterThan(0);
    expect(sent.size).toBeGreaterThanOrEqual(CLIENTS * MIN_EVENTS_PER_CLIENT);
  }, 90_000);
});
