import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { tokenFor } from './api-harness';
import { startWriteRoutes, WriteRoutesHarness } from './hostile-harness';

/**
 * Generated hostile requests to every write route: no 5xx, and every 4xx is the error envelope
 * of docs/api.md section 5. An event that is acknowledged is stored exactly as it was sent.
 * AUDITKIT_FC_SEED and AUDITKIT_FC_RUNS replay a run (fast-check prints the seed and path of a
 * failure, and the seed is in each test's name).
 */
const SEED = Number(process.env.AUDITKIT_FC_SEED ?? 20261201);
const RUNS = Number(process.env.AUDITKIT_FC_RUNS ?? 250);

// ---- JSON texts, built as text: Infinity (1e400), -0, lone surrogates and duplicate keys
// cannot all be made by JSON.stringify.

type Node =
  | { raw: string }
  | { str: string }
  | { arr: Node[] }
  | { obj: [string, Node][] }
  | { deep: { depth: number; kind: 'arr' | 'obj'; leaf: Node } };

function text(n: Node): string {
  if ('raw' in n) return n.raw;
  if ('str' in n) return JSON.stringify(n.str);
  if ('arr' in n) return `[${n.arr.map(text).join(',')}]`;
  if ('obj' in n) return `{${n.obj.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}`;
  const { depth, kind, leaf } = n.deep;
  return kind === 'arr'
    ? '['.repeat(depth) + text(leaf) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + text(leaf) + '}'.repeat(depth);
}

const PROTO_KEYS = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];
const EVENT_FIELDS = [
  'action',
  'actor',
  'targets',
  'site',
  'product',
  'location',
  'outcome',
  'metadata',
  'time',
  'category',
  'id',
  'seq',
  'orgId',
];
const FILTER_FIELDS = ['q', 'from', 'to', 'action', 'category', 'actor', 'ip', 'product', 'limit'];
const LONE = ['\ud800', '\udfff', 'a\udc00b', '\ud83d', '\ude00\ud83d'];

// No key here looks like a secret, so metadata comes back unredacted and can be compared.
const key = fc.oneof(
  fc.constantFrom(...PROTO_KEYS),
  fc.constantFrom(...EVENT_FIELDS, ...FILTER_FIELDS, 'type', 'name', 'email', 'ip', 'userAgent'),
  fc.constantFrom('', 'a', 'note', 'list', '0', 'length', 'then', 'ü', '𝒳', 'a/b', 'a~b', 'a.b'),
  fc.constantFrom(...LONE.map((s) => `k${s}`)),
);

const numberText = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e-400',
    '-0',
    '-0.0',
    '0',
    '1e308',
    '-1e308',
    '1.7976931348623157e308',
    '5e-324',
    '9007199254740993',
    '123456789012345678901234567890',
    '8640000000000001',
    '1764547200000',
    '1.5',
    '-1',
    '1E+2',
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
);

const str = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    ...LONE,
    '',
    ' ',
    '\u0000',
    'group_created',
    'user_teleported',
    'user',
    'groups',
    '203.0.113.7',
    '::1',
    '2026-01-01',
    '2026-11-20T17:04:05.123Z',
    '1e400',
    'x'.repeat(2000),
  ),
  fc.tuple(fc.string(), fc.constantFrom(...LONE), fc.string()).map(([a, b, c]) => a + b + c),
);

const literal: fc.Arbitrary<Node> = fc.oneof(
  numberText.map((raw) => ({ raw })),
  fc.constantFrom('true', 'false', 'null').map((raw) => ({ raw })),
  str.map((s) => ({ str: s })),
);

const deep: fc.Arbitrary<Node> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 28, max: 36 }), fc.integer({ min: 1_000, max: 30_000 })),
    kind: fc.constantFrom<'arr' | 'obj'>('arr', 'obj'),
    leaf: literal,
  })
  .map((d) => ({ deep: d }));

const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    { weight: 4, arbitrary: literal },
    { weight: 2, arbitrary: fc.array(tie('node'), { maxLength: 4 }).map((arr) => ({ arr })) },
    {
      weight: 2,
      arbitrary: fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((obj) => ({ obj })),
    },
    { weight: 1, arbitrary: deep },
  ),
}));

// Metadata a store must keep exactly: prototype-named keys, huge and tiny finite numbers, -0,
// any Unicode (no lone surrogates), nesting up to the metadata limit.
const storableString = fc
  .oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', '\u0000', '💥', 'é'))
  .filter((v) => v.isWellFormed());
const storableKey = fc.oneof(
  fc.constantFrom(...PROTO_KEYS),
  fc.constantFrom('', 'a', 'note', 'list', '0', 'length', 'then', 'ü', '𝒳', 'a/b', 'a~b', 'a.b'),
);
const { storable } = fc.letrec<{ storable: Node }>((tie) => ({
  storable: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    {
      weight: 4,
      arbitrary: numberText.filter((t) => Number.isFinite(Number(t))).map((raw) => ({ raw })),
    },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null').map((raw) => ({ raw })) },
    { weight: 4, arbitrary: storableString.map((v) => ({ str: v })) },
    { weight: 2, arbitrary: fc.array(tie('storable'), { maxLength: 4 }).map((arr) => ({ arr })) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.tuple(storableKey, tie('storable')), { maxLength: 4 })
        .map((obj) => ({ obj })),
    },
  ),
}));
const storableMetadata: fc.Arbitrary<Node> = fc
  .array(fc.tuple(storableKey, storable), { maxLength: 6 })
  .map((obj) => ({ obj }));

/** One change to a valid body: a field replaced, dropped, or given a hostile member. */
type Mutation =
  | { kind: 'replace'; at: number; value: Node }
  | { kind: 'drop'; at: number }
  | { kind: 'member'; at: number; key: string; value: Node }
  | { kind: 'extra'; key: string; value: Node };

const mutation = (fields: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat(fields - 1),
        value: node,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('drop' as const), at: fc.nat(fields - 1) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('member' as const),
        at: fc.nat(fields - 1),
        key,
        value: node,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('extra' as const), key, value: node }) },
  );

function mutate(valid: [string, Node][], mutations: Mutation[]): Node {
  const members: ([string, Node] | undefined)[] = valid.map(([k, v]) => [k, v]);
  const extra: [string, Node][] = [];
  for (const m of mutations) {
    if (m.kind === 'extra') {
      extra.push([m.key, m.value]);
      continue;
    }
    const current = members[m.at];
    if (m.kind === 'drop') members[m.at] = undefined;
    else if (m.kind === 'replace') members[m.at] = [valid[m.at][0], m.value];
    else if (current) {
      // A member added to the object, or to the first object of the list.
      const [name, v] = current;
      if ('obj' in v) members[m.at] = [name, { obj: [...v.obj, [m.key, m.value]] }];
      else if ('arr' in v && v.arr[0] && 'obj' in v.arr[0])
        members[m.at] = [name, { arr: [{ obj: [...v.arr[0].obj, [m.key, m.value]] }] }];
      else members[m.at] = [name, m.value];
    }
  }
  return { obj: [...members.filter((x) => x !== undefined), ...extra] };
}

const s = (v: string): Node => ({ str: v });
const o = (...entries: [string, Node][]): Node => ({ obj: entries });

const VALID_EVENT: [string, Node][] = [
  ['action', s('group_created')],
  ['actor', o(['id', s('u-1')], ['name', s('Jane Doe')])],
  ['targets', { arr: [o(['id', s('g-1')], ['type', s('group')])] }],
  ['site', o(['id', s('s-1')])],
  ['product', s('jira')],
  ['location', o(['ip', s('203.0.113.7')])],
  ['outcome', s('success')],
  ['metadata', o(['note', s('x')])],
  ['time', { raw: '1764547200000' }],
  ['category', s('groups')],
];
const METADATA = VALID_EVENT.findIndex(([k]) => k === 'metadata');

const VALID_FILTERS: [string, Node][] = [
  ['q', s('Jane Doe')],
  ['from', s('2026-01-01')],
  ['to', s('2026-12-31T23:59:59Z')],
  ['action', s('group_created')],
  ['category', s('groups')],
  ['actor', s('u-1')],
  ['ip', s('203.0.113.7')],
  ['product', s('jira')],
];

/** A valid body with 0 to 3 hostile changes; now and then any value at all. */
function bodyOf(valid: [string, Node][]): fc.Arbitrary<Node> {
  const mutated = fc.array(mutation(valid.length), { maxLength: 3 }).map((ms) => mutate(valid, ms));
  return fc.oneof({ weight: 8, arbitrary: mutated }, { weight: 1, arbitrary: node });
}

/** An event, valid but for its metadata (to be stored exactly), or mutated as `bodyOf`. */
const eventBody: fc.Arbitrary<Node> = fc.oneof(
  {
    weight: 3,
    arbitrary: storableMetadata.map((metadata) =>
      mutate(VALID_EVENT, [{ kind: 'replace', at: METADATA, value: metadata }]),
    ),
  },
  { weight: 4, arbitrary: bodyOf(VALID_EVENT) },
);

// ---- How the bytes travel.

interface Transport {
  contentType?: string;
  encoding: 'none' | 'identity' | 'gzip' | 'deflate' | 'br' | 'GZIP' | 'x-evil' | 'gzip, gzip';
  /** Compressed as the header says, or sent plain under it. */
  wrongCompression: boolean;
  bytes: 'utf8' | 'utf16le' | 'latin1' | 'bom' | 'invalid-utf8';
  /** Cut the text (before encoding) to this fraction of its length. */
  cut?: number;
  chunked: boolean;
  auth: 'valid' | 'none' | 'garbage';
  idempotencyKey?: string;
}

const cleanTransport: fc.Arbitrary<Transport> = fc.record(
  {
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
    encoding: fc.constantFrom<Transport['encoding']>('none', 'none', 'gzip', 'deflate', 'br'),
    wrongCompression: fc.constant(false),
    bytes: fc.constant<Transport['bytes']>('utf8'),
    chunked: fc.boolean(),
    auth: fc.constant<Transport['auth']>('valid'),
    idempotencyKey: fc.oneof(fc.uuid(), fc.constantFrom('k-1', 'k-2')),
  },
  { requiredKeys: ['contentType', 'encoding', 'wrongCompression', 'bytes', 'chunked', 'auth'] },
);

const hostileTransport: fc.Arbitrary<Transport> = fc.record(
  {
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; Charset="UTF-8"',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/json; charset=',
      'application/json; charset="x',
      'application/json;;;',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '*/*',
      'application/json, text/plain',
      '',
    ),
    encoding: fc.constantFrom<Transport['encoding']>(
      'none',
      'identity',
      'gzip',
      'deflate',
      'br',
      'GZIP',
      'x-evil',
      'gzip, gzip',
    ),
    wrongCompression: fc.boolean(),
    bytes: fc.constantFrom<Transport['bytes']>('utf8', 'bom', 'utf16le', 'latin1', 'invalid-utf8'),
    cut: fc.double({ min: 0, max: 1, noNaN: true }),
    chunked: fc.boolean(),
    auth: fc.constantFrom<Transport['auth']>('valid', 'valid', 'none', 'garbage'),
    idempotencyKey: fc.constantFrom('k-1', 'k\u00e9', ' ', 'x'.repeat(300)),
  },
  { requiredKeys: ['encoding', 'wrongCompression', 'bytes', 'chunked', 'auth'] },
);

const transport = fc.oneof(
  { weight: 3, arbitrary: cleanTransport },
  { weight: 2, arbitrary: hostileTransport },
);

interface Sent {
  headers: Record<string, string>;
  payload: Buffer;
  /** The text the server reads when it reads the body as UTF-8 JSON; undefined if none. */
  received?: string;
}

function encode(body: string, t: Transport): Sent {
  const cut = t.cut === undefined ? body : body.slice(0, Math.floor(body.length * t.cut));
  let bytes: Buffer;
  switch (t.bytes) {
    case 'utf16le':
    case 'latin1':
      bytes = Buffer.from(cut, t.bytes);
      break;
    case 'bom':
      bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(cut)]);
      break;
    case 'invalid-utf8': {
      const at = Buffer.from(cut.slice(0, cut.length >> 1));
      bytes = Buffer.concat([
        at,
        Buffer.from([0xff, 0xc3]),
        Buffer.from(cut.slice(cut.length >> 1)),
      ]);
      break;
    }
    default:
      bytes = Buffer.from(cut);
  }
  const received = isUtf8(bytes) ? bytes.toString('utf8').replace(/^\ufeff/, '') : undefined;
  const headers: Record<string, string> = {};
  if (t.contentType !== undefined) headers['Content-Type'] = t.contentType;
  let payload = bytes;
  if (t.encoding !== 'none') {
    headers['Content-Encoding'] = t.encoding;
    const how = t.encoding.toLowerCase();
    if (!t.wrongCompression) {
      if (how === 'gzip') payload = gzipSync(bytes);
      if (how === 'deflate') payload = deflateSync(bytes);
      if (how === 'br') payload = brotliCompressSync(bytes);
    }
  }
  return { headers, payload, received };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

let port = 0;

/** One request with exactly these headers and bytes (no client adds or re-encodes anything). */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  payload: Buffer | undefined,
  chunked: boolean,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string> = { Connection: 'close', ...headers };
    // Said outright: Node's client only chunks POST and PUT bodies by default, not DELETE.
    if (payload)
      all[chunked ? 'Transfer-Encoding' : 'Content-Length'] = chunked
        ? 'chunked'
        : String(payload.length);
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: all, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload && chunked) {
      // Two chunks, so a body arrives in pieces as it does from real clients.
      req.write(payload.subarray(0, payload.length >> 1));
      req.end(payload.subarray(payload.length >> 1));
    } else req.end(payload);
  });
}

/**
 * No 5xx; a 4xx is `{ errors: [ { status, code, title, ... } ] }` with the response's status (a 401
 * with Atlassian's `code` and `message` beside it).
 */
function checkAnswer(a: Answer, what: string): void {
  if (a.status >= 500) throw new Error(`${what}: ${a.status} ${a.text}`);
  if (a.status < 400) return;
  const type = String(a.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) throw new Error(`${what}: ${a.status} as ${type}`);
  const body = JSON.parse(a.text);
  const errors = body?.errors;
  if (!Array.isArray(errors) || errors.length === 0)
    throw new Error(`${what}: ${a.status} without errors: ${a.text}`);
  for (const e of errors) {
    if (
      e?.status !== String(a.status) ||
      typeof e.code !== 'string' ||
      typeof e.title !== 'string'
    ) {
      throw new Error(`${what}: ${a.status} with a malformed error: ${a.text}`);
    }
  }
  // A 401 also carries Atlassian's `{ code, message }` (docs/api.md section 5).
  const allowed = a.status === 401 ? ['errors', 'code', 'message'] : ['errors'];
  if (Object.keys(body).some((k) => !allowed.includes(k)))
    throw new Error(`${what}: an error answer with more than errors: ${a.text}`);
  if (a.status === 401 && (body.code !== 401 || typeof body.message !== 'string'))
    throw new Error(`${what}: a 401 without Atlassian's code and message: ${a.text}`);
}

/** A JSON text with sorted keys, own `__proto__` keys included. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('generated hostile bodies on every write route (MariaDB)', () => {
  let api: WriteRoutesHarness;
  let writer: string;
  let admin: string;
  let admins = 0;

  beforeAll(async () => {
    api = await startWriteRoutes();
    await api.app.listen(0, '127.0.0.1');
    port = (api.app.getHttpServer().address() as AddressInfo).port;
    writer = await tokenFor({ acme: ['site-admin'] }, { scope: 'events:write', sub: 'svc-fc' });
    admin = await tokenFor({ acme: ['org-admin'] }, { sub: 'u-fc-admin' });
  });

  afterAll(async () => {
    await api?.close();
  });

  const authHeader = (t: Transport, bearer: string): Record<string, string> =>
    t.auth === 'valid'
      ? { Authorization: `Bearer ${bearer}` }
      : t.auth === 'garbage'
        ? { Authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' }
        : {};

  const params = { seed: SEED, numRuns: RUNS };

  it(`POST events: never a 5xx, every 4xx an envelope, every 2xx stored exactly (seed ${SEED}, ${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(eventBody, transport, async (body, t) => {
        const sent = encode(text(body), t);
        const headers = { ...sent.headers, ...authHeader(t, writer) };
        if (t.idempotencyKey !== undefined) headers['Idempotency-Key'] = t.idempotencyKey;
        const a = await send(
          'POST',
          '/admin/v1/orgs/acme/events',
          headers,
          sent.payload,
          t.chunked,
        );
        checkAnswer(a, 'POST events');
        if (a.status !== 201 && a.status !== 200) return;
        // Acknowledged: what a reader gets back is what the server was sent.
        const data = JSON.parse(a.text).data;
        const read = await send(
          'GET',
          `/admin/v1/orgs/acme/events/${data.id}`,
          { Authorization: `Bearer ${admin}` },
          undefined,
          false,
        );
        if (read.status !== 200) throw new Error(`GET the stored event: ${read.status}`);
        const stored = JSON.parse(read.text).data;
        if (canonical(stored) !== canonical(data))
          throw new Error(`stored ${read.text} but answered ${a.text}`);
        if (a.status === 201 && sent.received !== undefined) {
          const metadata = JSON.parse(sent.received).metadata ?? {};
          if (canonical(stored.attributes.metadata) !== canonical(metadata))
            throw new Error(`metadata stored as ${canonical(stored.attributes.metadata)}`);
        }
      }),
      params,
    );
  });

  it(`POST events/bulk: never a 5xx, every 4xx an envelope, every stored item stored exactly (seed ${SEED}, ${RUNS} cases)`, async () => {
    // A list of hostile events, or a hostile body around them.
    const bulkBody = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.array(eventBody, { maxLength: 4 }).map((arr) => o(['events', { arr }])),
      },
      {
        weight: 1,
        arbitrary: fc
          .array(eventBody, { maxLength: 2 })
          .chain((arr) => bodyOf([['events', { arr }]])),
      },
    );
    await fc.assert(
      fc.asyncProperty(bulkBody, transport, async (body, t) => {
        const sent = encode(text(body), t);
        const headers = { ...sent.headers, ...authHeader(t, writer) };
        if (t.idempotencyKey !== undefined) headers['Idempotency-Key'] = `bulk-${t.idempotencyKey}`;
        const a = await send(
          'POST',
          '/admin/v1/orgs/acme/events/bulk',
          headers,
          sent.payload,
          t.chunked,
        );
        checkAnswer(a, 'POST events/bulk');
        if (a.status !== 201 && a.status !== 200) return;
        const items = JSON.parse(a.text).data as { index: number; id?: string }[];
        const events = sent.received === undefined ? undefined : JSON.parse(sent.received).events;
        for (const item of items) {
          if (item.id === undefined) continue;
          const read = await send(
            'GET',
            `/admin/v1/orgs/acme/events/${item.id}`,
            { Authorization: `Bearer ${admin}` },
            undefined,
            false,
          );
          if (read.status !== 200) throw new Error(`GET a stored item: ${read.status}`);
          const metadata = JSON.parse(read.text).data.attributes.metadata;
          if (a.status === 201 && events !== undefined) {
            const sentMetadata = events[item.index].metadata ?? {};
            if (canonical(metadata) !== canonical(sentMetadata))
              throw new Error(`item ${item.index}'s metadata stored as ${canonical(metadata)}`);
          }
        }
      }),
      params,
    );
  });

  it(`POST exports: never a 5xx, every 4xx an envelope (seed ${SEED}, ${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(bodyOf(VALID_FILTERS), transport, async (body, t) => {
        const sent = encode(text(body), t);
        // Exports are rate limited per admin and org: each case is an admin of its own.
        const bearer = await tokenFor({ acme: ['org-admin'] }, { sub: `u-fc-${++admins}` });
        const headers = { ...sent.headers, ...authHeader(t, bearer) };
        const a = await send(
          'POST',
          '/admin/v1/orgs/acme/exports',
          headers,
          sent.payload,
          t.chunked,
        );
        checkAnswer(a, 'POST exports');
      }),
      params,
    );
  });

  it(`POST and DELETE /admin/v1/session: never a 5xx, every 4xx an envelope (seed ${SEED}, ${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        node,
        transport,
        fc.constantFrom('POST', 'DELETE'),
        async (body, t, method) => {
          const sent = encode(text(body), t);
          const headers = { ...sent.headers, ...authHeader(t, admin) };
          const a = await send(method, '/admin/v1/session', headers, sent.payload, t.chunked);
          checkAnswer(a, `${method} session`);
        },
      ),
      params,
    );
  });
});
