import { DATABASES } from '../support/databases';
import { ApiHarness, getWith, qs, SECRET, startApi, tokenFor } from './api-harness';

const PATH = '/admin/v1/orgs/acme/events';

describe.each(DATABASES)('GET events parameters on %s', (kind) => {
  let api: ApiHarness;
  let token: string;

  const get = (query: string, path = PATH) => getWith(api.server, token, `${path}${query}`);
  /** The `meta.next` of the first page of `pairs` with limit 1. */
  const cursorOf = async (pairs: [string, string][], path = PATH): Promise<string> => {
    const res = await get(qs([...pairs, ['limit', '1']]), path).expect(200);
    expect(typeof res.body.meta.next).toBe('string');
    return res.body.meta.next;
  };

  beforeAll(async () => {
    api = await startApi(kind);
    token = await tokenFor({ acme: ['org-admin'], globex: ['org-admin'] });
    const people = [
      { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' },
      { id: 'u-2', name: '100% Sure', email: '_@acme.test' },
      { id: 'u-3', name: "O'Brien \\ Sons" },
    ];
    await Promise.all(
      ['acme', 'globex'].flatMap((orgId) =>
        Array.from({ length: 6 }, (_, i) =>
          api.audit.record({
            orgId,
            action: i % 2 ? 'group_created' : 'user_invited',
            actor: people[i % 3],
            targets: [{ id: `g-${i}`, type: 'group', name: `group ${i}` }],
            site: { id: 's-1', name: 'acme.atlassian.test' },
            time: new Date(Date.UTC(2026, 9, 1 + i)),
          }),
        ),
      ),
    );
  });

  afterAll(async () => {
    await api?.close();
  });

  const bad: [string, string, string][] = [
    ['from not a date', qs([['from', 'yesterday']]), 'from'],
    ['from an impossible date', qs([['from', '2026-02-31']]), 'from'],
    ['from a month 13', qs([['from', '2026-13-01T00:00:00Z']]), 'from'],
    ['to not a date', qs([['to', '12:00']]), 'to'],
    [
      'from after to',
      qs([
        ['from', '2026-10-05'],
        ['to', '2026-10-01'],
      ]),
      'from',
    ],
    ['limit 0', qs([['limit', '0']]), 'limit'],
    ['limit -1', qs([['limit', '-1']]), 'limit'],
    ['limit 1e9', qs([['limit', '1e9']]), 'limit'],
    ['limit abc', qs([['limit', 'abc']]), 'limit'],
    ['limit 1001', qs([['limit', '1001']]), 'limit'],
    ['limit 1.5', qs([['limit', '1.5']]), 'limit'],
    ['limit empty', qs([['limit', '']]), 'limit'],
    [
      'limit repeated',
      qs([
        ['limit', '5'],
        ['limit', '6'],
      ]),
      'limit',
    ],
    ['an unknown category', qs([['category', 'billing']]), 'category'],
    [
      'category repeated',
      qs([
        ['category', 'groups'],
        ['category', 'organization'],
      ]),
      'category',
    ],
    ['an unknown action', qs([['action', 'user_teleported']]), 'action'],
    ['an unknown action in a list', qs([['action', 'group_created,user_teleported']]), 'action'],
    [
      'an unknown action repeated',
      qs([
        ['action', 'group_created'],
        ['action', 'nope'],
      ]),
      'action',
    ],
    ['ip not an IP', qs([['ip', '999.1.1.1']]), 'ip'],
    ['an ip list with one bad address', qs([['ip', '203.0.113.7,999.1.1.1']]), 'ip'],
    [
      '51 actors',
      qs([['actor', Array.from({ length: 51 }, (_, i) => `u-${i}`).join(',')]]),
      'actor',
    ],
    [
      '51 actions',
      qs(Array.from({ length: 51 }, () => ['action', 'group_created'] as [string, string])),
      'action',
    ],
    [
      '51 products',
      qs([['product', Array.from({ length: 51 }, (_, i) => `p${i}`).join(',')]]),
      'product',
    ],
    ['an actor id of 256 characters in a list', qs([['actor', `u-1,${'a'.repeat(256)}`]]), 'actor'],
    ['a product of 65 characters', qs([['product', 'p'.repeat(65)]]), 'product'],
    ['an actor with NUL', qs([['actor', 'u-1\u0000']]), 'actor'],
    ['q of 10 KB', qs([['q', 'a'.repeat(10 * 1024)]]), 'q'],
    ['q with NUL', qs([['q', 'Jane\u0000Doe']]), 'q'],
    [
      'q repeated',
      qs([
        ['q', 'Jane Doe'],
        ['q', 'Bob'],
      ]),
      'q',
    ],
    ['a forged cursor', qs([['cursor', 'eyJmb28iOjF9.c2lnbmF0dXJl']]), 'cursor'],
    ['a cursor that is not one', qs([['cursor', 'abc']]), 'cursor'],
    ['a cursor of 2 KB', qs([['cursor', 'x'.repeat(2048)]]), 'cursor'],
    ['an unknown parameter', qs([['sort', 'time']]), 'sort'],
  ];

  it.each(bad)('%s is a 400 naming the parameter', async (_name, query, parameter) => {
    const res = await get(query).expect(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors[0]).toMatchObject({ status: '400', source: { parameter } });
    expect(['invalid_parameter', 'unknown_field']).toContain(res.body.errors[0].code);
  });

  it('a cursor whose payload was changed is a 400 (signature)', async () => {
    const cursor = await cursorOf([]);
    const [body, sig] = cursor.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    payload[1] = 0;
    const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    const res = await get(qs([['cursor', forged]])).expect(400);
    expect(res.body.errors[0].source).toEqual({ parameter: 'cursor' });
    const flipped = `${body}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    await get(qs([['cursor', flipped]])).expect(400);
  });

  it('a cursor of another org is a 400, even for an admin of both', async () => {
    const globex = await cursorOf([], '/admin/v1/orgs/globex/events');
    const res = await get(qs([['cursor', globex]])).expect(400);
    expect(res.body.errors[0].source).toEqual({ parameter: 'cursor' });
    await get(qs([['cursor', globex]]), '/admin/v1/orgs/globex/events').expect(200);
  });

  it('a cursor sent alone continues its query, with its page size', async () => {
    const all = await get(qs([['action', 'group_created']])).expect(200);
    const ids = all.body.data.map((d: { id: string }) => d.id);
    expect(ids.length).toBe(3);
    const first = await get(
      qs([
        ['action', 'group_created'],
        ['limit', '1'],
      ]),
    ).expect(200);
    let cursor: string | null = first.body.meta.next;
    const seen = [first.body.data[0].id];
    while (cursor) {
      const res = await get(qs([['cursor', cursor]])).expect(200);
      expect(res.body.meta.page_size).toBe(1);
      seen.push(...res.body.data.map((d: { id: string }) => d.id));
      cursor = res.body.meta.next;
    }
    expect(seen).toEqual(ids);
  });

  it('a cursor with a parameter that changes its query is a 400 naming that parameter', async () => {
    const cursor = await cursorOf([
      ['action', 'group_created'],
      ['from', '2026-10-01'],
    ]);
    const cases: [[string, string][], string[]][] = [
      [[['action', 'user_invited']], ['action']],
      [[['action', 'group_created,user_invited']], ['action']],
      [[['q', 'Jane Doe']], ['q']],
      [[['from', '2026-10-02']], ['from']],
      [[['category', 'groups']], ['category']],
      [[['actor', 'u-1']], ['actor']],
      [[['ip', '203.0.113.7']], ['ip']],
      [[['product', 'jira']], ['product']],
      [
        [
          ['actor', 'u-1'],
          ['product', 'jira'],
        ],
        ['actor', 'product'],
      ],
    ];
    for (const [pairs, parameters] of cases) {
      const res = await get(qs([...pairs, ['cursor', cursor]])).expect(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors.map((e: { source: unknown }) => e.source)).toEqual(
        parameters.map((parameter) => ({ parameter })),
      );
      for (const e of res.body.errors) {
        expect(e).toMatchObject({
          status: '400',
          code: 'cursor_conflict',
          meta: { atlassianCode: 'ADMIN-400-1' },
        });
        expect(e.detail).toMatch(new RegExp(`^${e.source.parameter} conflicts with the cursor`));
      }
    }
  });

  it('a parameter sent again with the same value, another limit, or a later to is no conflict', async () => {
    const cursor = await cursorOf([
      ['q', 'Jane Doe'],
      ['action', 'group_created,user_invited'],
      ['to', '2026-10-06T00:00:00.000Z'],
    ]);
    for (const pairs of [
      // The same filters written differently are the same query.
      [
        ['q', ' JANE DOE '],
        ['action', 'user_invited'],
        ['action', 'group_created'],
      ],
      [['limit', '50']],
      [['to', '2026-10-06']],
      // A client that recomputes to=now on each page.
      [['to', String(Date.now())]],
      [['to', '2099-01-01T00:00:00Z']],
    ] as [string, string][][]) {
      await get(qs([...pairs, ['cursor', cursor]])).expect(200);
    }
    // A to before the events still to come cuts into the walk: a conflict.
    const res = await get(
      qs([
        ['to', '2026-10-01'],
        ['cursor', cursor],
      ]),
    ).expect(400);
    expect(res.body.errors[0]).toMatchObject({
      code: 'cursor_conflict',
      source: { parameter: 'to' },
    });
  });

  it('a cursor of the first version is still read, with the same query', async () => {
    // [digest of org and query, time, id], signed as the codec signs: made with the app's key.
    const { CursorCodec, filtersKey } = await import('../../libs/audit-log/src/query/cursor');
    const { createHmac } = await import('node:crypto');
    const codec = new CursorCodec(SECRET);
    const body = Buffer.from(
      JSON.stringify([
        filtersKey('acme', { actions: ['group_created'] }),
        Date.UTC(2026, 9, 6),
        'Z',
      ]),
    ).toString('base64url');
    const key = createHmac('sha256', SECRET).update('auditkit:cursor:v1').digest();
    const v1 = `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
    expect(codec.decode(v1, 'acme').legacyKey).toBeDefined();
    const ok = await get(
      qs([
        ['action', 'group_created'],
        ['cursor', v1],
      ]),
    ).expect(200);
    expect(ok.body.data.length).toBe(3);
    const other = await get(qs([['cursor', v1]])).expect(400);
    expect(other.body.errors[0].source).toEqual({ parameter: 'cursor' });
  });

  it.each([
    '%',
    '_',
    '\\',
    "' OR 1=1--",
    '%%',
    '_%_',
    '" OR ""="',
    '*',
    '.*',
    'Jane%',
    '%@acme.test',
  ])('q = %j is a plain term: 200, nothing matches', async (term) => {
    const res = await get(qs([['q', term]])).expect(200);
    expect(res.body.data).toEqual([]);
    expect(res.body.meta.next).toBeNull();
  });

  it('q matches such characters only exactly', async () => {
    const pct = await get(qs([['q', '_@ACME.TEST']])).expect(200);
    expect(pct.body.data.length).toBe(2);
    const percent = await get(qs([['q', ' 100% SURE ']])).expect(200);
    expect(percent.body.data.length).toBe(2);
    expect((await get(qs([['q', '100%']])).expect(200)).body.data).toEqual([]);
    const name = await get(qs([['q', "o'brien \\ sons"]])).expect(200);
    expect(name.body.data.length).toBe(2);
  });

  it('accepts the edges: limit 1 and 1000, from = to, epoch 0, q of 1024 characters', async () => {
    for (const query of [
      qs([['limit', '1']]),
      qs([['limit', '1000']]),
      qs([['limit', '007']]),
      qs([
        ['from', '2026-10-02'],
        ['to', '2026-10-02'],
      ]),
      qs([['from', '0']]),
      qs([['q', 'a'.repeat(1024)]]),
      qs([['from', '2026-10-02T00:00:00+02:00']]),
      qs([['to', '2026-10-02T00:00:00.000Z']]),
    ]) {
      const res = await get(query);
      expect(res.status).toBe(200);
    }
    const edge = await get(qs([['limit', '1000']])).expect(200);
    expect(edge.body.meta.page_size).toBe(1000);
  });
});
