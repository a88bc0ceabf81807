import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import express from 'express';
import type { Request } from 'express';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { AuditLogModule } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule, AuditPrincipal } from '@auditkit/nestjs/admin';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, TestDatabase } from '../support/databases';

const EVENTS = '/admin/v1/orgs/acme/events';
// Text that must never come back in an error body: the client's body or the host's own words.
const SECRET_TEXT = 'do-not-echo-4c1e';
const HOST_VERIFY_TEXT = 'host verify internals 9f2a';

const principal = (): AuditPrincipal => ({
  sub: 'svc-1',
  name: 'Ingest',
  orgs: { acme: ['writer'] },
  scopes: ['events:write'],
});

// The host parses bodies itself, in front of the admin plugin: its parser's errors reach the
// plugin's filter (installed app-wide by the host) before any admin route runs.
const setups: [string, (app: INestApplication) => void][] = [
  [
    "the host's express.json()",
    (app) =>
      app.use(
        express.json({
          verify: (req: Request, _res, buf) => {
            if (req.headers['x-host-verify'] === 'fail' && buf.length > 0) {
              throw new Error(HOST_VERIFY_TEXT);
            }
          },
        }),
      ),
  ],
  ["Nest's own body parser", () => undefined],
];

describe.each(setups)('a body parsed by %s in front of the admin plugin', (name, parse) => {
  let db: TestDatabase;
  let app: INestApplication;
  const logs = new CaptureLogger();
  const ownParser = name.includes('express.json');

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({
          resolvePrincipal: () => principal(),
          secret: 'host-parsed-cursor-secret-0123456789',
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: !ownParser, logger: logs });
    parse(app);
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(() => logs.clear());

  const good = JSON.stringify({ action: 'group_created', actor: { id: 'u-1' } });
  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    request(app.getHttpServer())
      .post(EVENTS)
      .set({ 'Content-Type': 'application/json', ...headers })
      // The bytes as given: superagent would otherwise turn a Buffer into JSON of its bytes.
      .serialize((b: unknown) => b as string)
      .send(body);

  function expectEnvelope(res: request.Response, status: number) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ status: String(status) });
    expect(res.text).not.toContain(SECRET_TEXT);
    expect(res.text).not.toContain(HOST_VERIFY_TEXT);
    // A client's mistake: nothing logged as an error of ours.
    expect(logs.find(/./, 'error')).toEqual([]);
  }

  it('a good body is stored (the baseline)', async () => {
    await post(good).expect(201);
    await post(gzipSync(good), { 'Content-Encoding': 'gzip' }).expect(201);
  });

  it.each(['gzip', 'deflate', 'br'])(
    'Content-Encoding: %s with a body that is not so encoded is a 400, not a 500',
    async (encoding) => {
      const res = await post(`{"action":"${SECRET_TEXT}"}`, { 'Content-Encoding': encoding });
      expectEnvelope(res, 400);
      expect(res.body.errors[0]).toMatchObject({
        code: 'invalid_body',
        detail: `The body is not valid ${encoding} data (Content-Encoding: ${encoding})`,
      });
    },
  );

  it('a truncated gzip body is a 400', async () => {
    const zipped = gzipSync(JSON.stringify({ action: 'group_created', note: SECRET_TEXT }));
    const res = await post(zipped.subarray(0, zipped.length - 12), { 'Content-Encoding': 'gzip' });
    expectEnvelope(res, 400);
  });

  it('invalid JSON is a 400 that does not echo the body', async () => {
    const res = await post(`{"action": ${SECRET_TEXT}}`);
    expectEnvelope(res, 400);
    expect(res.body.errors[0].detail).toBe('The body is not valid JSON');
  });

  it("a body over the host's limit is a 413", async () => {
    const res = await post(JSON.stringify({ action: 'x', pad: 'a'.repeat(200_000) }));
    expectEnvelope(res, 413);
  });

  if (ownParser) {
    it("an error of the host's verify step keeps its status and none of its text", async () => {
      const res = await post(good, { 'X-Host-Verify': 'fail' });
      expectEnvelope(res, 403);
      expect(res.body.errors[0].detail).toBe('The body could not be read');
    });
  }
});
