import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { Rsyslog } from '../support/rsyslog';
import { waitFor } from '../support/wait-for';
import { tokenFor } from '../api/api-harness';
import { DestinationsApp, startDestinationsApp } from './support/destinations-app';

// Syslog and file destinations created through the API and fed by the dispatcher: a real
// rsyslog over TLS (down, then up again), and files under the operator's directory.

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const distinct = (seqs: number[]) => seqs.filter((s, i) => seqs.indexOf(s) === i);

describe.each(DATABASES)('syslog and file destinations on %s', (kind) => {
  let db: TestDatabase;
  let h: DestinationsApp;
  let token: string;
  let fileDir: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    fileDir = mkdtempSync(join(tmpdir(), 'auditkit-files-'));
    // The outage test rides through a receiver down for as long as rsyslog takes to restart
    // (seconds on a loaded machine): with the fast backoff, the default ten failures would pause.
    h = await startDestinationsApp(db.url, {
      batchSize: 7,
      fileDirectory: fileDir,
      pauseAfterFailures: 10_000,
    });
    token = await tokenFor({ logs: ['org-admin'], files: ['org-admin'] });
  });

  afterAll(async () => {
    await h?.close();
    await db?.drop();
    rmSync(fileDir, { recursive: true, force: true });
  });

  const post = (org: string, body: object) =>
    request(h.server)
      .post(`/admin/v1/orgs/${org}/destinations`)
      .set('Authorization', `Bearer ${token}`)
      .send(body);
  const show = async (org: string, id: string) =>
    (
      await request(h.server)
        .get(`/admin/v1/orgs/${org}/destinations/${id}`)
        .set('Authorization', `Bearer ${token}`)
    ).body.data.attributes;
  const record = async (org: string, from: number, count: number) => {
    for (let i = from; i < from + count; i++) await h.audit.record(groupCreated(org, `g${i}`));
  };

  it('delivers to a real rsyslog over TLS in order, through an outage of the receiver', async () => {
    const rsyslog = await Rsyslog.start({ queue: 'direct' });
    try {
      const created = await post('logs', {
        type: 'syslog',
        host: '127.0.0.1',
        port: rsyslog.port,
        ca: rsyslog.pki.caPem,
      });
      expect(created.status).toBe(201);
      const id = created.body.data.id;
      expect(created.body.data.attributes).toMatchObject({
        type: 'syslog',
        target: `syslog+tls://127.0.0.1:${rsyslog.port}`,
        settings: { host: '127.0.0.1', appName: 'auditkit', facility: 13 },
      });
      await record('logs', 1, 20);
      const seqsOf = () => rsyslog.received().map((m) => Number(m.sd['auditkit@32473']?.seq));
      await waitFor('20 messages', () => seqsOf().length >= 20, { timeoutMs: 20_000 });
      expect(seqsOf()).toEqual(upTo(20));
      await rsyslog.stop();
      await record('logs', 21, 10);
      await waitFor('a failure shown', async () => (await show('logs', id)).failures > 0);
      await rsyslog.restart();
      await waitFor('all 30', () => distinct(seqsOf()).length >= 30, { timeoutMs: 30_000 });
      expect(distinct(seqsOf())).toEqual(upTo(30));
      await waitFor('the cursor at 30', async () => (await show('logs', id)).deliveredSeq === 30);
    } finally {
      await rsyslog.stop().catch(() => undefined);
    }
  });

  it('refuses a syslog body without a host, naming it', async () => {
    const res = await post('logs', { type: 'syslog', port: 6514 });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].source).toEqual({ pointer: '/host' });
  });

  it("writes a file under the org's own directory, in order, and refuses a path that leaves it", async () => {
    for (const path of ['../escape.ndjson', '/etc/audit.ndjson']) {
      const res = await post('files', { type: 'file', path });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].source).toEqual({ pointer: '/path' });
    }
    const created = await post('files', { type: 'file', path: 'siem/audit.ndjson' });
    expect(created.status).toBe(201);
    await record('files', 1, 20);
    const file = join(fileDir, 'files', 'siem', 'audit.ndjson');
    const seqs = () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { seq: number }).seq)
        : [];
    await waitFor('20 lines in the file', () => seqs().length >= 20);
    expect(seqs()).toEqual(upTo(20));
  });
});
