import { gzipSync, deflateSync } from 'node:zlib';
import request from 'supertest';
import { AuditValidationError } from '@auditkit/nestjs';
import { tokenFor } from './api-harness';
import { startWriteRoutes, WriteRoutesHarness } from './hostile-harness';

const EVENTS = '/admin/v1/orgs/acme/events';
const EXPORTS = '/admin/v1/orgs/acme/exports';
const MARKER = 'MARKER-7f3a9c';

/** A JSON text with the keys in sorted order, own `__proto__` keys included. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A minimal valid event as JSON text, with `extra` spliced in as raw JSON members. */
const eventText = (extra = '') =>
  `{"action":"group_created","actor":{"id":"u-1"}${extra ? `,${extra}` : ''}}`;

function expectError(res: request.Response, status: number): any {
  expect({ status: res.status, text: res.text }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Array.isArray(res.body.errors)).toBe(true);
  expect(res.body.errors.length).toBeGreaterThan(0);
  for (const e of res.body.errors) expect(e.status).toBe(String(status));
  return res.body.errors[0];
}

describe('crafted input on the write routes (MariaDB): a 4xx or stored exactly, never a 500', () => {
  let api: WriteRoutesHarness;
  let writer: string;
  let admin: string;

  beforeAll(async () => {
    api = await startWriteRoutes();
    writer = await tokenFor({ acme: ['site-admin'] }, { scope: 'events:write', sub: 'svc-ingest' });
    admin = await tokenFor({ acme: ['org-admin'] });
  });

  afterAll(async () => {
    await api?.close();
  });

  let admins = 0;
  const postRaw = async (
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    // Exports are rate limited per admin and org: each request comes from an admin of its own.
    const bearer =
      path === EXPORTS
        ? await tokenFor({ acme: ['org-admin'] }, { sub: `u-hostile-${++admins}` })
        : writer;
    const req = request(api.server)
      .post(path)
      .set('Authorization', `Bearer ${bearer}`)
      .set('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    // The bytes as given: superagent would otherwise turn a Buffer into JSON of its bytes.
    return req.serialize((b: unknown) => b as string).send(body);
  };
  const getEvent = (id: string) =>
    request(api.server).get(`${EVENTS}/${id}`).set('Authorization', `Bearer ${admin}`).expect(200);

  describe('deep nesting', () => {
    const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

    it.each([
      ['metadata', EVENTS, eventText(`"metadata":{"deep":${arrays(30_000)}}`), '/metadata/deep/'],
      ['an unknown field', EVENTS, eventText(`"foo":${arrays(30_000)}`), '/foo/'],
      ['actor', EVENTS, `{"action":"group_created","actor":${arrays(30_000)}}`, '/actor/'],
      ['targets', EVENTS, eventText(`"targets":${arrays(30_000)}`), '/targets/'],
      ['time', EVENTS, eventText(`"time":${objects(10_000)}`), '/time/'],
      ['metadata (objects)', EVENTS, eventText(`"metadata":${objects(10_000)}`), '/metadata/a/'],
      ['actor (exports)', EXPORTS, `{"actor":${arrays(30_000)}}`, '/actor/'],
      ['an unknown field (exports)', EXPORTS, `{"foo":${objects(10_000)}}`, '/foo/a/'],
    ])('30,000 levels in %s is a 400 naming the field', async (_name, path, body, prefix) => {
      expect(body.length).toBeLessThan(64 * 1024);
      const error = expectError(await postRaw(path, body), 400);
      expect(error.code).toBe('invalid_field');
      expect(error.source.pointer.startsWith(prefix)).toBe(true);
      expect(error.detail).toMatch(/nested deeper than 32 levels/);
    });

    it('nesting up to the limit is judged as usual (an unknown field, a wrong type)', async () => {
      // The body is level 0: "foo" is 1, its innermost array 32.
      const unknown = expectError(await postRaw(EVENTS, eventText(`"foo":${arrays(32)}`)), 400);
      expect(unknown).toMatchObject({ code: 'unknown_field', source: { pointer: '/foo' } });
      const tooDeep = expectError(await postRaw(EVENTS, eventText(`"foo":${arrays(33)}`)), 400);
      expect(tooDeep.code).toBe('invalid_field');
      expect(tooDeep.detail).toMatch(/nested deeper than 32 levels/);
      const actor = expectError(
        await postRaw(EVENTS, `{"action":"group_created","actor":${arrays(32)}}`),
        400,
      );
      expect(actor.source.pointer).toBe('/actor');
    });

    it('session sign-in with a deep body is a 400 too, not a crash', async () => {
      const res = await request(api.server)
        .post('/admin/v1/session')
        .set('Authorization', `Bearer ${admin}`)
        .set('Content-Type', 'application/json')
        .send(arrays(30_000));
      expectError(res, 400);
    });
  });

  describe('keys named like Object.prototype members', () => {
    const metadata =
      '{"constructor":"x","__proto__":{"constructor":{"prototype":1}},"prototype":"p",' +
      '"toString":"t","hasOwnProperty":[{"__proto__":null,"valueOf":2}],' +
      '"nested":{"deeper":[{"constructor":{"constructor":"y"},"__defineGetter__":true}]}}';

    it('are stored exactly in metadata, at any depth', async () => {
      const res = await postRaw(EVENTS, eventText(`"metadata":${metadata}`));
      expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
      const stored = (await getEvent(res.body.data.id)).body.data.attributes.metadata;
      expect(canonical(stored)).toBe(canonical(JSON.parse(metadata)));
      expect(canonical(res.body.data.attributes.metadata)).toBe(canonical(JSON.parse(metadata)));
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'])(
      'metadata holding only "%s" is stored exactly',
      async (key) => {
        const meta = `{${JSON.stringify(key)}:"x"}`;
        const res = await postRaw(EVENTS, eventText(`"metadata":${meta}`));
        expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
        const stored = (await getEvent(res.body.data.id)).body.data.attributes.metadata;
        expect(canonical(stored)).toBe(meta);
      },
    );

    it('are replayed with an Idempotency-Key like any other body', async () => {
      const body = eventText(`"metadata":${metadata}`);
      const first = await postRaw(EVENTS, body, { 'Idempotency-Key': 'proto-keys-1' });
      expect(first.status).toBe(201);
      const second = await postRaw(EVENTS, body, { 'Idempotency-Key': 'proto-keys-1' });
      expect(second.status).toBe(200);
      expect(second.body.data.id).toBe(first.body.data.id);
    });

    it('are stored exactly through record() too', async () => {
      const input = JSON.parse(
        `{"orgId":"acme","action":"group_created","actor":{"id":"u-1"},"metadata":${metadata}}`,
      );
      const event = await api.audit.record(input);
      const stored = (await getEvent(event.id)).body.data.attributes.metadata;
      expect(canonical(stored)).toBe(canonical(JSON.parse(metadata)));
    });

    it.each([
      ['constructor', EVENTS, eventText('"constructor":"x"'), '/constructor'],
      ['__proto__', EVENTS, eventText('"__proto__":{"x":1}'), '/__proto__'],
      ['__proto__ null', EVENTS, eventText('"__proto__":null'), '/__proto__'],
      ['toString', EVENTS, eventText('"toString":"x"'), '/toString'],
      ['hasOwnProperty', EVENTS, eventText('"hasOwnProperty":"x"'), '/hasOwnProperty'],
      ['valueOf', EVENTS, eventText('"valueOf":1'), '/valueOf'],
      ['prototype', EVENTS, eventText('"prototype":1'), '/prototype'],
      [
        'actor.constructor',
        EVENTS,
        '{"action":"group_created","actor":{"id":"u-1","constructor":"x"}}',
        '/actor/constructor',
      ],
      [
        'actor.__proto__',
        EVENTS,
        '{"action":"group_created","actor":{"id":"u-1","__proto__":{"id":"u-2"}}}',
        '/actor/__proto__',
      ],
      [
        'targets[1].toString',
        EVENTS,
        eventText(
          '"targets":[{"id":"g-1","type":"group"},{"id":"g-2","type":"group","toString":1}]',
        ),
        '/targets/1/toString',
      ],
      [
        'site.hasOwnProperty',
        EVENTS,
        eventText('"site":{"id":"s","hasOwnProperty":1}'),
        '/site/hasOwnProperty',
      ],
      ['location.valueOf', EVENTS, eventText('"location":{"valueOf":"x"}'), '/location/valueOf'],
      ['constructor (exports)', EXPORTS, '{"constructor":"x"}', '/constructor'],
      ['__proto__ (exports)', EXPORTS, '{"__proto__":{"actor":"u-1"}}', '/__proto__'],
      ['toString (exports)', EXPORTS, '{"q":"x","toString":"y"}', '/toString'],
    ])('a %s field is a 400 unknown_field naming it', async (_name, path, body, pointer) => {
      const error = expectError(await postRaw(path, body), 400);
      expect(error).toMatchObject({ code: 'unknown_field', source: { pointer } });
    });

    it('a filter holding an object with such keys is a 400, not a crash', async () => {
      const error = expectError(await postRaw(EXPORTS, '{"actor":{"constructor":"x"}}'), 400);
      expect(error.source.pointer).toBe('/actor');
    });
  });

  describe('content encodings and charsets', () => {
    const good = eventText(`"metadata":{"note":"${MARKER}"}`);

    it('a gzip body is read (the baseline)', async () => {
      const res = await postRaw(EVENTS, gzipSync(good), { 'Content-Encoding': 'gzip' });
      expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
    });

    it.each(['gzip', 'deflate', 'br'])(
      'Content-Encoding: %s with a body that is not so encoded is a 400',
      async (encoding) => {
        const res = await postRaw(EVENTS, good, { 'Content-Encoding': encoding });
        const error = expectError(res, 400);
        expect(error.code).toBe('invalid_body');
        expect(res.text).not.toContain(MARKER);
      },
    );

    it('a truncated gzip body is a 400', async () => {
      const zipped = gzipSync(good);
      const res = await postRaw(EVENTS, zipped.subarray(0, zipped.length - 6), {
        'Content-Encoding': 'gzip',
      });
      expectError(res, 400);
    });

    it('a deflate body that inflates to invalid JSON is a 400 that does not echo it', async () => {
      const res = await postRaw(EVENTS, deflateSync(`{"action":"${MARKER}`), {
        'Content-Encoding': 'deflate',
      });
      expectError(res, 400);
      expect(res.text).not.toContain(MARKER);
    });

    it.each(['compress', 'x-evil', 'gzip, gzip'])(
      'an unknown Content-Encoding (%s) is a 415',
      async (encoding) => {
        const error = expectError(
          await postRaw(EVENTS, good, { 'Content-Encoding': encoding }),
          415,
        );
        expect(error.code).toBe('unsupported_media_type');
      },
    );

    it.each(['utf-16', 'utf-16le', 'UTF-32', 'latin1', 'iso-8859-1', 'x-nonsense'])(
      'charset=%s is a 415 naming the charset, echoing nothing of the body',
      async (charset) => {
        const encoded = Buffer.from(good, charset.startsWith('utf-16') ? 'utf16le' : 'latin1');
        const res = await postRaw(EVENTS, encoded, {
          'Content-Type': `application/json; charset=${charset}`,
        });
        const error = expectError(res, 415);
        expect(error.detail).toContain(charset.toLowerCase());
        expect(res.text).not.toContain(MARKER);
        expect(res.text).not.toContain('action');
      },
    );

    it.each([
      ['a lone continuation byte', Buffer.from([0x80])],
      ['a truncated sequence', Buffer.from([0xc3])],
      ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
      ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
      ['latin-1 text', Buffer.from('é', 'latin1')],
    ])(
      'a string holding bytes that are not UTF-8 (%s) is a 400, not stored as U+FFFD',
      async (_name, bytes) => {
        const [head, tail] = eventText('"metadata":{"note":"a<>b"}').split('<>');
        const body = Buffer.concat([Buffer.from(head), bytes, Buffer.from(tail)]);
        const error = expectError(await postRaw(EVENTS, body), 400);
        expect(error).toMatchObject({
          code: 'invalid_body',
          detail: 'The body is not valid UTF-8',
        });
      },
    );

    it('a body starting with a UTF-8 byte order mark is read', async () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)]);
      const res = await postRaw(EVENTS, body);
      expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
    });

    it.each(['utf-8', 'UTF-8', '"utf-8"'])('charset=%s is read', async (charset) => {
      const res = await postRaw(EVENTS, good, {
        'Content-Type': `application/json; charset=${charset}`,
      });
      expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
    });

    it.each([
      ['unterminated', `{"action":"${MARKER}`],
      ['trailing text', `{"action":"group_created"} ${MARKER}`],
      ['a bad token', `{"action":${MARKER}}`],
      ['a bad escape', `{"action":"\\x${MARKER}"}`],
    ])('a body that is not JSON (%s) is a 400 that echoes none of it', async (_name, body) => {
      for (const path of [EVENTS, EXPORTS]) {
        const res = await postRaw(path, body);
        const error = expectError(res, 400);
        expect(error.code).toBe('invalid_body');
        expect(res.text).not.toContain(MARKER);
        expect(res.text).not.toMatch(/Unexpected|position|JSON\.parse/);
      }
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
      'a body sent as %s is a 415, not read as "no body"',
      async (type) => {
        for (const path of [EVENTS, EXPORTS]) {
          const error = expectError(await postRaw(path, good, { 'Content-Type': type }), 415);
          expect(error.code).toBe('unsupported_media_type');
        }
      },
    );
  });

  describe('lone surrogates', () => {
    const base = () => ({
      action: 'group_created',
      actor: { id: 'u-1', type: 'user', name: 'Jane', email: 'jane@acme.test' },
      targets: [{ id: 'g-1', type: 'group', name: 'admins' }],
      site: { id: 's-1', name: 'acme' },
      product: 'jira',
      location: { ip: '203.0.113.7', userAgent: 'curl' },
      metadata: { note: 'x', list: ['a'] },
    });
    const lone = 'x\ud800y';

    it.each([
      ['action', (b: any) => (b.action = lone), '/action'],
      ['actor.id', (b: any) => (b.actor.id = lone), '/actor/id'],
      ['actor.type', (b: any) => (b.actor.type = lone), '/actor/type'],
      ['actor.name', (b: any) => (b.actor.name = lone), '/actor/name'],
      ['actor.email', (b: any) => (b.actor.email = '\udc00'), '/actor/email'],
      ['targets[0].id', (b: any) => (b.targets[0].id = lone), '/targets/0/id'],
      ['targets[0].type', (b: any) => (b.targets[0].type = lone), '/targets/0/type'],
      ['targets[0].name', (b: any) => (b.targets[0].name = lone), '/targets/0/name'],
      ['site.id', (b: any) => (b.site.id = lone), '/site/id'],
      ['site.name', (b: any) => (b.site.name = lone), '/site/name'],
      ['product', (b: any) => (b.product = lone), '/product'],
      ['location.ip', (b: any) => (b.location.ip = lone), '/location/ip'],
      ['location.userAgent', (b: any) => (b.location.userAgent = lone), '/location/userAgent'],
      ['time', (b: any) => (b.time = `2026-01-01T00:00:00${lone}`), '/time'],
      ['category', (b: any) => (b.category = lone), '/category'],
      ['a metadata value', (b: any) => (b.metadata.note = lone), '/metadata/note'],
      ['a metadata list item', (b: any) => (b.metadata.list[0] = lone), '/metadata/list/0'],
      ['a metadata key', (b: any) => (b.metadata[lone] = 1), '/metadata'],
    ])('in %s (POST events) is a 400 naming the field', async (_name, mutate, pointer) => {
      const body = base();
      mutate(body);
      const error = expectError(await postRaw(EVENTS, JSON.stringify(body)), 400);
      expect(error.source.pointer).toBe(pointer);
    });

    it.each(['q', 'actor', 'product', 'category', 'ip', 'from', 'to', 'action'])(
      'in the %s filter (POST exports) is a 400 naming it',
      async (field) => {
        const error = expectError(
          await postRaw(EXPORTS, JSON.stringify({ [field]: '\ud800' })),
          400,
        );
        expect(error.source.pointer).toBe(`/${field}`);
      },
    );

    it('in the actor filter next to other valid filters is a 400 naming actor', async () => {
      const body = JSON.stringify({ category: 'groups', actor: `u-1\udfff` });
      const error = expectError(await postRaw(EXPORTS, body), 400);
      expect(error.source.pointer).toBe('/actor');
    });

    it.each([
      ['actor.name', { actor: { id: 'u-1', name: lone } }],
      ['actor.email', { actor: { id: 'u-1', email: lone } }],
      ['targets[0].name', { targets: [{ id: 'g', type: 'group', name: lone }] }],
      ['site.name', { site: { id: 's', name: lone } }],
      ['product', { product: lone }],
      ['location.userAgent', { location: { userAgent: lone } }],
      ['metadata.a[1]', { metadata: { a: ['ok', lone] } }],
    ])('record() refuses one in %s with AuditValidationError naming it', async (field, extra) => {
      const input = { orgId: 'acme', action: 'group_created', actor: { id: 'u-1' }, ...extra };
      const err = await api.audit.record(input as any).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuditValidationError);
      expect((err as AuditValidationError).field).toBe(field);
    });
  });

  describe('huge numbers and odd types', () => {
    it.each([
      ['time 1e400 (Infinity)', '"time":1e400', '/time'],
      ['time -1e400', '"time":-1e400', '/time'],
      ['time 1e308', '"time":1e308', '/time'],
      ['time 8.64e15 + 1', '"time":8640000000000001', '/time'],
      ['time -1', '"time":-1', '/time'],
      ['time true', '"time":true', '/time'],
      ['time an array', '"time":[1]', '/time'],
      ['time an object', '"time":{"ms":1}', '/time'],
      ['a metadata value 1e400', '"metadata":{"n":1e400}', '/metadata/n'],
      ['a metadata list item -1e999', '"metadata":{"l":[0,-1e999]}', '/metadata/l/1'],
      ['outcome a number', '"outcome":1', '/outcome'],
      ['product a number', '"product":1e400', '/product'],
      ['metadata a string', '"metadata":"x"', '/metadata'],
      ['metadata a number', '"metadata":1e400', '/metadata'],
      ['targets an object', '"targets":{"0":{"id":"g"}}', '/targets'],
      ['site an array', '"site":[{"id":"s"}]', '/site'],
      ['location an array', '"location":["1.2.3.4"]', '/location'],
      ['category a number', '"category":-0', '/category'],
    ])('%s (POST events) is a 400 naming the field', async (_name, extra, pointer) => {
      const error = expectError(await postRaw(EVENTS, eventText(extra)), 400);
      expect(error.source.pointer).toBe(pointer);
    });

    it('an actor that is an array, a string or a number is a 400 naming actor', async () => {
      for (const actor of ['[{"id":"u-1"}]', '"u-1"', '1e400', '[[[[1]]]]']) {
        const res = await postRaw(EVENTS, `{"action":"group_created","actor":${actor}}`);
        const error = expectError(res, 400);
        expect(error.source.pointer).toBe('/actor');
      }
    });

    it('an action that is a number or a list is a 400 naming action', async () => {
      for (const action of ['1e400', '["group_created"]', 'null', '{"id":"group_created"}']) {
        const res = await postRaw(EVENTS, `{"action":${action},"actor":{"id":"u-1"}}`);
        expect(expectError(res, 400).source.pointer).toBe('/action');
      }
    });

    it('large finite numbers and -0 in metadata are stored as the numbers they are', async () => {
      const metadata =
        '{"big":1e308,"max":1.7976931348623157e308,"tiny":5e-324,"safe":9007199254740991,' +
        '"negZero":-0,"neg":-1.5e-300,"list":[1e21,-0.0,0.1]}';
      const res = await postRaw(EVENTS, eventText(`"metadata":${metadata}`));
      expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
      const stored = (await getEvent(res.body.data.id)).body.data.attributes.metadata;
      // JSON has one zero: -0 is the number 0, which is what JSON.parse gives back for it.
      expect(canonical(stored)).toBe(canonical(JSON.parse(metadata)));
      expect(stored.big).toBe(1e308);
      expect(stored.tiny).toBe(5e-324);
      expect(stored.negZero === 0).toBe(true);
    });

    it('time -0 is epoch 0', async () => {
      const res = await postRaw(EVENTS, eventText('"time":-0'));
      expect({ status: res.status, text: res.text }).toMatchObject({ status: 201 });
      expect(res.body.data.attributes.time).toBe('1970-01-01T00:00:00.000Z');
    });

    it.each([
      ['limit 1e400', '{"limit":1e400}', '/limit'],
      ['limit a string', '{"limit":"10"}', '/limit'],
      ['from 1e400', '{"from":1e400}', '/from'],
      ['from -0', '{"from":-0}', '/from'],
      ['to 1e308', '{"to":1e308}', '/to'],
      ['q a number', '{"q":1e400}', '/q'],
      ['q an object', '{"q":{"toString":"x"}}', '/q'],
      ['action an object', '{"action":{"0":"group_created"}}', '/action'],
      ['action a list of lists', '{"action":[["group_created"]]}', '/action'],
      // A list of actor ids is a filter now (any of them); a list of lists or numbers is not.
      ['actor a list of lists', '{"actor":[["u-1"]]}', '/actor'],
      ['actor a list with a number', '{"actor":["u-1",7]}', '/actor'],
      ['ip a list with a bad address', '{"ip":["203.0.113.7","999.1.1.1"]}', '/ip'],
      ['ip a number', '{"ip":1e400}', '/ip'],
      ['product true', '{"product":true}', '/product'],
      ['category an object', '{"category":{}}', '/category'],
    ])('%s (POST exports) is a 400 naming the field', async (_name, body, pointer) => {
      const error = expectError(await postRaw(EXPORTS, body), 400);
      expect(error.source.pointer).toBe(pointer);
    });

    it.each(['q', 'from', 'to', 'action', 'category', 'actor', 'ip', 'product'])(
      'a null %s filter (POST exports) is a 400 naming it, not an export of everything',
      async (field) => {
        const error = expectError(await postRaw(EXPORTS, `{"${field}":null}`), 400);
        expect(error.source.pointer).toBe(`/${field}`);
      },
    );

    it.each(['[]', '[{"actor":"u-1"}]', '"actor"', '1e400', 'true'])(
      'an export body %s that is not an object is a 400',
      async (body) => {
        expectError(await postRaw(EXPORTS, body), 400);
      },
    );
  });
});
