import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SignedCheckpoint } from '../checkpoint';
import { FileCheckpointWitness } from './file-witness';
import { WebhookCheckpointWitness } from './webhook-witness';

const cp = (org: string, seq: number): SignedCheckpoint => ({
  v: 1,
  org,
  seq,
  head: 'e'.repeat(64),
  count: seq,
  time: 1764083045123 + seq,
  keyId: 'k1',
  kind: 'scheduled',
  signature: 'sig',
});

describe('FileCheckpointWitness', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'auditkit-witness-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one line per checkpoint and reads an org back in order', async () => {
    const w = new FileCheckpointWitness(dir);
    await w.publish(cp('acme', 1));
    await w.publish(cp('globex', 1));
    await w.publish(cp('acme', 2));
    expect((await w.read('acme')).map((c) => c.seq)).toEqual([1, 2]);
    expect(await w.read('initech')).toEqual([]);
  });

  it('keeps any org id a plain file inside its directory', async () => {
    const w = new FileCheckpointWitness(dir);
    await w.publish(cp('../evil', 1));
    await w.publish(cp('..', 1));
    expect(readFileSync(join(dir, '%2E%2E%2Fevil.ndjson'), 'utf8')).toContain('"../evil"');
    expect((await w.read('..')).length).toBe(1);
  });

  it('skips a torn last line left by a crash mid-append', async () => {
    const w = new FileCheckpointWitness(dir);
    await w.publish(cp('acme', 1));
    appendFileSync(join(dir, 'acme.ndjson'), '{"v":1,"org":"ac');
    expect((await w.read('acme')).map((c) => c.seq)).toEqual([1]);
  });
});

describe('WebhookCheckpointWitness', () => {
  let server: Server;
  let received: { body: string; signature: string }[];
  let status: number;
  let url: string;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, signature: String(req.headers['auditkit-signature']) });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/witness`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    received = [];
    status = 204;
  });

  it('POSTs the checkpoint signed with HMAC-SHA256 over the timestamp and body', async () => {
    await new WebhookCheckpointWitness({ url, secret: 's3cret' }).publish(cp('acme', 7));
    expect(received).toHaveLength(1);
    const { body, signature } = received[0];
    expect(JSON.parse(body).seq).toBe(7);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
    expect(createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex')).toBe(v1);
  });

  it('fails when the receiver does not take it', async () => {
    status = 500;
    await expect(
      new WebhookCheckpointWitness({ url, secret: 's' }).publish(cp('acme', 1)),
    ).rejects.toThrow(/answered 500/);
  });

  it('refuses plain http except on loopback', () => {
    expect(
      () => new WebhookCheckpointWitness({ url: 'http://example.test/x', secret: 's' }),
    ).toThrow(/https/);
    expect(
      () => new WebhookCheckpointWitness({ url: 'https://example.test/x', secret: 's' }),
    ).not.toThrow();
  });
});
