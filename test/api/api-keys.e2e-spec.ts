import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditLogModule, auditDataSourceOptions } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { CaptureLogger } from '../support/capture-logger';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';
import { SECRET, tokenFor } from './api-harness';

// Org API keys end to end (issue #14): an org admin creates one and sees its secret once; the
// key reads or writes within its org and scopes only, never manages anything; expiry and
// revocation refuse it at once; creation, revocation and a revoked key's use are activities;
// the secret is in no table and no log line.

const KEYS = '/admin/v1/orgs/acme/api-keys';
const EVENTS = '/admin/v1/orgs/acme/events';

describe.each(DATABASES)('org API keys on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let ds: DataSource;
  let admin: string;
  const logger = new CaptureLogger();
  const secrets: string[] = [];
  const http = () => request(app.getHttpServer());

  function createKey(body: unknown, token = admin) {
    return http()
      .post(KEYS)
      .set('Authorization', `Bearer ${token}`)
      .send(body as object);
  }
  async function newKey(scope: string[], name = 'siem'): Promise<{ id: string; secret: string }> {
    const res = await createKey({ name, scope, expiresInDays: 30 }).expect(201);
    secrets.push(res.body.data.attributes.secret);
    return { id: res.body.data.id, secret: res.body.data.attributes.secret };
  }
  const withKey = (secret: string) => ({ Authorization: `Bearer ${secret}` });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    admin = await tokenFor({ acme: ['org-admin'], globex: ['org-admin'] });
  });

  afterAll(async () => {
    await ds?.destroy();
    await app?.close();
    await db?.drop();
  });

  it('creates a key and shows its secret once; the list has no secret', async () => {
    const res = await createKey({ name: 'siem', scope: ['events:read'], expiresInDays: 30 });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { id, attributes, links } = res.body.data;
    secrets.push(attributes.secret);
    expect(attributes.secret).toMatch(new RegExp(`^ak_${id}_[A-Za-z0-9_-]{43}$`));
    expect(attributes).toMatchObject({
      name: 'siem',
      scope: ['events:read'],
      status: 'active',
      createdBy: { id: 'u-admin', name: 'Ada Admin' },
      lastUsedAt: null,
      revokedAt: null,
    });
    const days = (Date.parse(attributes.expiresAt) - Date.parse(attributes.createdAt)) / 86_400_000;
    expect(days).toBe(30);
    expect(res.headers.location).toBe(links.self);
    const list = await http().get(KEYS).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(attributes.secret.slice(-43));
    expect(list.body.data[0].attributes.secret).toBeUndefined();
  });

  it('refuses bad bodies with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ scope: ['events:read'], expiresInDays: 30 }, '/name'],
      [{ name: '', scope: ['events:read'], expiresInDays: 30 }, '/name'],
      [{ name: 'two\nlines', scope: ['events:read'], expiresInDays: 30 }, '/name'],
      [{ name: 'x'.repeat(101), scope: ['events:read'], expiresInDays: 30 }, '/name'],
      [{ name: 'k', scope: [], expiresInDays: 30 }, '/scope'],
      [{ name: 'k', scope: ['admin'], expiresInDays: 30 }, '/scope'],
      [{ name: 'k', scope: 'events:read', expiresInDays: 30 }, '/scope'],
      [{ name: 'k', scope: ['events:read'], expiresInDays: 366 }, '/expiresInDays'],
      [{ name: 'k', scope: ['events:read'], expiresInDays: 0 }, '/expiresInDays'],
      [{ name: 'k', scope: ['events:read'], expiresInDays: 1.5 }, '/expiresInDays'],
      [{ name: 'k', scope: ['events:read'], expiresInDays: '30' }, '/expiresInDays'],
      [{ name: 'k', scope: ['events:read'], expiresInDays: 30, secret: 'mine' }, '/secret'],
    ];
    for (const [body, pointer] of cases) {
      const res = await createKey(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(
        res.body.errors.map((e: { source?: { pointer?: string } }) => e.source?.pointer),
      ).toContain(pointer);
    }
    const notJson = await http()
      .post(KEYS)
      .set('Authorization', `Bearer ${admin}`)
      .set('Content-Type', 'application/json')
      .send('{"name":');
    expect(notJson.status).toBe(400);
  });

  it('reads within its org and scope only, and never manages anything', async () => {
    const reader = await newKey(['events:read']);
    await http().get(EVENTS).set(withKey(reader.secret)).expect(200);
    await http().get(`${EVENTS}-stream`).set(withKey(reader.secret)).expect(200);
    // Another org, and what needs another scope or an org admin: 403.
    await http().get('/admin/v1/orgs/globex/events').set(withKey(reader.secret)).expect(403);
    await http()
      .post(EVENTS)
      .set(withKey(reader.secret))
      .send({ action: 'group_created', actor: { id: 'u-1' } })
      .expect(403);
    await http().get(KEYS).set(withKey(reader.secret)).expect(403);
    await createKey(
      { name: 'escalate', scope: ['exports'], expiresInDays: 1 },
      reader.secret,
    ).expect(403);
    await http().delete(`${KEYS}/${reader.id}`).set(withKey(reader.secret)).expect(403);
    await http()
      .delete('/admin/v1/orgs/acme/users/u-admin/sessions')
      .set(withKey(reader.secret))
      .expect(403);
  });

  it('writes with events:write, as the key', async () => {
    const writer = await newKey(['events:write'], 'ingest');
    const res = await http()
      .post(EVENTS)
      .set(withKey(writer.secret))
      .send({
        action: 'group_created',
        actor: { id: 'u-1' },
        targets: [{ id: 'g-1', type: 'group' }],
      })
      .expect(201);
    expect(res.body.data.attributes.action).toBe('group_created');
    await http().get(EVENTS).set(withKey(writer.secret)).expect(403);
    await http()
      .post('/admin/v1/orgs/globex/events')
      .set(withKey(writer.secret))
      .send({
        action: 'group_created',
        actor: { id: 'u-1' },
      })
      .expect(403);
  });

  it('refuses a wrong, malformed, expired or revoked key with a 401, at once', async () => {
    const key = await newKey(['events:read'], 'short-lived');
    const wrong = key.secret.slice(0, -1) + (key.secret.endsWith('A') ? 'B' : 'A');
    for (const bad of [wrong, 'ak_nonsense', `ak_${key.id}_`]) {
      const res = await http().get(EVENTS).set(withKey(bad));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    // Expiry is read on each request: no cache keeps an expired key alive.
    await ds.query('UPDATE auditkit_api_keys SET expires_at = ? WHERE id = ?', [
      Date.now() - 1,
      key.id,
    ]);
    const expired = await http().get(EVENTS).set(withKey(key.secret)).expect(401);
    expect(expired.body.errors[0].detail).toMatch(/expired/);

    const live = await newKey(['events:read'], 'cron');
    await http().get(EVENTS).set(withKey(live.secret)).expect(200);
    const revoked = await http()
      .delete(`${KEYS}/${live.id}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    expect(revoked.body.data.attributes.status).toBe('revoked');
    const refused = await http().get(EVENTS).set(withKey(live.secret)).expect(401);
    expect(refused.body.errors[0].detail).toMatch(/revoked/);
    // Revoking again changes nothing; an id of another org, or no id at all, is a 404.
    await http().delete(`${KEYS}/${live.id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    await http()
      .delete(`/admin/v1/orgs/globex/api-keys/${live.id}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(404);
    await http().delete(`${KEYS}/not-a-key`).set('Authorization', `Bearer ${admin}`).expect(404);
  });

  it('records creation, revocation and the use of a revoked key as activities of the org', async () => {
    const res = await http()
      .get(`${EVENTS}?limit=1000&category=organization`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    const actions = res.body.data.map(
      (e: { attributes: { action: string } }) => e.attributes.action,
    );
    expect(actions.filter((a: string) => a === 'api_key_created')).toHaveLength(5);
    expect(actions.filter((a: string) => a === 'api_key_revoked')).toHaveLength(1);
    const used = res.body.data.filter(
      (e: { attributes: { action: string } }) => e.attributes.action === 'revoked_api_key_used',
    );
    expect(used).toHaveLength(1);
    expect(used[0].attributes).toMatchObject({ outcome: 'failure' });
    expect(JSON.stringify(res.body)).not.toMatch(/ak_[0-9A-Z]{26}_/);
  });

  it('answers 401 without a token and 403 for an admin of another org', async () => {
    await http().get(KEYS).expect(401);
    await http()
      .post(KEYS)
      .send({ name: 'x', scope: ['events:read'], expiresInDays: 1 })
      .expect(401);
    await http().delete(`${KEYS}/01ARZ3NDEKTSV4RRFFQ69G5FAV`).expect(401);
    const other = await tokenFor({ globex: ['org-admin'] });
    await http().get(KEYS).set('Authorization', `Bearer ${other}`).expect(403);
    await createKey({ name: 'x', scope: ['events:read'], expiresInDays: 1 }, other).expect(403);
    await http()
      .delete(`${KEYS}/01ARZ3NDEKTSV4RRFFQ69G5FAV`)
      .set('Authorization', `Bearer ${other}`)
      .expect(403);
    // A member who is not an org admin cannot manage keys either.
    const member = await tokenFor({ acme: ['member'] });
    await http().get(KEYS).set('Authorization', `Bearer ${member}`).expect(403);
  });

  it('keeps the secrets out of every table and every log line', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const tables: { name: string }[] =
      kind === 'sqlite'
        ? await ds.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        : await ds.query(
            'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
          );
    let dump = '';
    for (const { name } of tables) dump += JSON.stringify(await ds.query(`SELECT * FROM ${name}`));
    // The dump reaches the keys' rows (a name), so a missing secret means something.
    expect(dump).toContain('short-lived');
    for (const secret of secrets) {
      expect(dump).not.toContain(secret.slice(-43));
      expect(logger.lines.map((l) => l.message).join('\n')).not.toContain(secret.slice(-43));
    }
  });
});
