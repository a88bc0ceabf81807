import request from 'supertest';
import { AuditEvent, AuditEventInput, AuditTarget, BUILTIN_ACTIONS } from '@auditkit/nestjs';
import { DATABASES } from '../support/databases';
import {
  ApiHarness,
  getWith,
  newestFirst,
  prng,
  qs,
  recordAll,
  startApi,
  tokenFor,
} from './api-harness';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1); // 2026-10-01, spread over 30 days
const iso = (ms: number) => new Date(ms).toISOString();

// People: one named only "Jane", one "Jane Doe"; an NFC and an NFD name; a padded one.
const PEOPLE = [
  { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
  { id: 'u-2', type: 'user', name: 'Jane', email: 'jane.solo@acme.test' },
  { id: 'u-3', type: 'user', name: 'José Álvarez', email: 'jose@acme.test' },
  { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
  { id: 'u-5', type: 'user', name: 'Zoe\u0308 A\u030angstro\u0308m', email: 'zoe@acme.test' },
  { id: 'u-6', type: 'user', name: '  Padded Name ', email: 'PADDED@Acme.Test' },
  { id: 'u-7', type: 'user', name: 'Chen Wei' },
  { id: 'bot-1', type: 'system', name: 'Provisioning bot' },
];
const GROUPS = [
  { id: 'g-1', type: 'group', name: 'jira-admins' },
  { id: 'g-2', type: 'group', name: 'confluence-users' },
];
const POLICY = { id: 'p-1', type: 'policy', name: 'Strict MFA policy' };
const DOMAIN = { id: 'd-1', type: 'domain', name: 'verified.example' };
const SITES = [
  { id: 's-1', name: 'acme.atlassian.test' },
  { id: 's-2', name: 'Acme Wiki' },
];
const PRODUCTS = ['jira', 'confluence', 'bitbucket'];
const IPS = ['203.0.113.7', '198.51.100.23', '2001:db8::1'];

const USER_TARGET_ACTIONS = new Set([
  'user_granted_product_access',
  'user_product_access_revoked',
  'user_granted_site_access',
  'user_site_access_revoked',
  'user_invited',
  'user_removed',
  'org_admin_granted',
  'org_admin_revoked',
]);

/** Targets that fit the action, so the sentence templates have what they need. */
function targetsFor(action: string, pick: <T>(list: readonly T[]) => T): AuditTarget[] {
  const user = () => ({ ...pick(PEOPLE.filter((p) => p.type === 'user')) });
  if (action === 'user_added_to_group' || action === 'user_removed_from_group')
    return [user(), pick(GROUPS)];
  if (action.startsWith('group_')) return [pick(GROUPS)];
  if (action === 'users_added_to_policy' || action === 'users_removed_from_policy')
    return [user(), user(), POLICY];
  if (action.startsWith('policy_')) return [POLICY];
  if (action === 'domain_verified') return [DOMAIN];
  if (USER_TARGET_ACTIONS.has(action)) return [user()];
  return [];
}

/** ~300 varied events over 30 days, some sharing a millisecond, across two orgs. */
function seedInputs(): AuditEventInput[] {
  const rand = prng(20261001);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const inputs: AuditEventInput[] = [];
  let lastTime = T0;
  for (let i = 0; i < 296; i++) {
    const action = pick(BUILTIN_ACTIONS).id;
    // Every tenth event shares the previous one's millisecond: the id breaks the tie.
    const time = i % 10 === 9 ? lastTime : T0 + Math.floor(rand() * 30 * DAY);
    lastTime = time;
    const site = rand() < 0.8 ? pick(SITES) : null;
    inputs.push({
      orgId: rand() < 0.7 ? 'acme' : 'globex',
      action,
      actor: { ...pick(PEOPLE) },
      targets: targetsFor(action, pick),
      site,
      product: rand() < 0.7 ? pick(PRODUCTS) : null,
      location: rand() < 0.9 ? { ip: pick(IPS), userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' } : {},
      outcome: rand() < 0.9 ? 'success' : 'failure',
      metadata: action === 'org_settings_changed' ? { setting: 'sso' } : { reason: 'onboarding' },
      time: iso(time),
    });
  }
  // The example of docs/api.md section 4, and two events only a policy or metadata could match.
  inputs.push({
    orgId: 'acme',
    action: 'user_added_to_group',
    actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
    targets: [
      { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
      { id: 'g-1', type: 'group', name: 'jira-admins' },
    ],
    site: { id: 's-1', name: 'acme.atlassian.test' },
    product: 'jira',
    location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (Macintosh)' },
    outcome: 'success',
    metadata: { reason: 'onboarding' },
    time: '2026-10-20T17:04:05.123Z',
  });
  inputs.push({
    orgId: 'acme',
    action: 'policy_updated',
    actor: { id: 'bot-1', type: 'system', name: 'Provisioning bot' },
    targets: [POLICY],
    time: iso(T0 + 3 * DAY + 1234),
  });
  inputs.push({
    orgId: 'globex',
    action: 'user_added_to_group',
    actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
    targets: [{ id: 'g-1', type: 'group', name: 'jira-admins' }],
    site: { id: 's-9', name: 'globex.atlassian.test' },
    time: iso(T0 + 5 * DAY),
  });
  inputs.push({
    orgId: 'acme',
    action: 'group_created',
    actor: { id: 'u-7', type: 'user', name: 'Chen Wei' },
    targets: [{ id: 'g-3', type: 'group', name: 'Jane Doe' }],
    time: iso(T0 + 7 * DAY),
  });
  return inputs;
}

// The exact-term rule of docs/api.md section 5, written here independently of the library.
const norm = (s: string) => s.normalize('NFC').trim().toLowerCase();
function hasTerm(e: AuditEvent, q: string): boolean {
  const values = [e.actor.name, e.actor.email, e.site?.name];
  for (const t of e.targets)
    if (t.type === 'user' || t.type === 'group') values.push(t.name, t.email);
  return values.some((v) => v !== undefined && norm(v) === norm(q));
}

interface Filter {
  q?: string;
  from?: number;
  to?: number;
  actions?: string[];
  category?: string;
  actor?: string | string[];
  ip?: string | string[];
  product?: string | string[];
}

/** Whether `value` is the filter's value or one of its values (a list matches any). */
const anyOf = (filter: string | string[], value: string | null | undefined) =>
  value != null && ([] as string[]).concat(filter).includes(value);

function matches(e: AuditEvent, f: Filter): boolean {
  const t = Date.parse(e.time);
  return (
    (f.q === undefined || hasTerm(e, f.q)) &&
    (f.from === undefined || t >= f.from) &&
    (f.to === undefined || t <= f.to) &&
    (f.actions === undefined || f.actions.includes(e.action)) &&
    (f.category === undefined || e.category === f.category) &&
    (f.actor === undefined || anyOf(f.actor, e.actor.id)) &&
    (f.ip === undefined || anyOf(f.ip, e.location.ip)) &&
    (f.product === undefined || anyOf(f.product, e.product))
  );
}

describe.each(DATABASES)('GET events: filters, terms, paging and shapes on %s', (kind) => {
  let api: ApiHarness;
  let token: string;
  let events: AuditEvent[];
  const base = '/admin/v1/orgs/acme/events';

  const expected = (f: Filter, org = 'acme') =>
    events
      .filter((e) => e.orgId === org && matches(e, f))
      .sort(newestFirst)
      .map((e) => e.id);

  /** Every id the API answers for a query (one page of up to 1000: the data set is smaller). */
  async function ids(query: string, org = 'acme'): Promise<string[]> {
    const sep = query ? '&' : '?';
    const res = await getWith(
      api.server,
      token,
      `/admin/v1/orgs/${org}/events${query}${sep}limit=1000`,
    ).expect(200);
    expect(res.body.meta.next).toBeNull();
    return res.body.data.map((d: { id: string }) => d.id);
  }

  beforeAll(async () => {
    api = await startApi(kind);
    token = await tokenFor({
      acme: ['org-admin'],
      globex: ['org-admin'],
      initech: ['org-admin'],
      hooli: ['org-admin'],
    });
    events = await recordAll(api.audit, seedInputs());
  });

  afterAll(async () => {
    await api?.close();
  });

  it('seeds both orgs with varied events', () => {
    expect(events).toHaveLength(300);
    const acme = events.filter((e) => e.orgId === 'acme');
    expect(acme.length).toBeGreaterThan(150);
    expect(events.length - acme.length).toBeGreaterThan(50);
    expect(new Set(acme.map((e) => e.category)).size).toBe(5);
  });

  describe('every filter alone', () => {
    const cases: [string, [string, string | number][], Filter][] = [
      ['no filter', [], {}],
      ['q = actor name', [['q', 'Jane Doe']], { q: 'Jane Doe' }],
      ['from (epoch ms)', [['from', T0 + 10 * DAY]], { from: T0 + 10 * DAY }],
      ['from (ISO)', [['from', iso(T0 + 12 * DAY + 345)]], { from: T0 + 12 * DAY + 345 }],
      [
        'from (date only = midnight UTC)',
        [['from', '2026-10-15']],
        { from: Date.UTC(2026, 9, 15) },
      ],
      ['to (ISO)', [['to', iso(T0 + 9 * DAY)]], { to: T0 + 9 * DAY }],
      ['to (epoch ms)', [['to', T0 + 20 * DAY]], { to: T0 + 20 * DAY }],
      ['action', [['action', 'user_added_to_group']], { actions: ['user_added_to_group'] }],
      [
        'action repeated',
        [
          ['action', 'group_created'],
          ['action', 'policy_updated'],
          ['action', 'user_invited'],
        ],
        { actions: ['group_created', 'policy_updated', 'user_invited'] },
      ],
      [
        'action as a comma list',
        [['action', 'group_created,policy_updated, user_invited']],
        { actions: ['group_created', 'policy_updated', 'user_invited'] },
      ],
      ['category', [['category', 'security_policies']], { category: 'security_policies' }],
      ['actor', [['actor', 'u-3']], { actor: 'u-3' }],
      ['ip (IPv4)', [['ip', '198.51.100.23']], { ip: '198.51.100.23' }],
      ['ip (IPv6)', [['ip', '2001:db8::1']], { ip: '2001:db8::1' }],
      ['product', [['product', 'confluence']], { product: 'confluence' }],
      // Atlassian's comma lists (`explode: false`); the parameter repeated means the same.
      ['actor as a comma list', [['actor', 'u-3,u-9, bot-1']], { actor: ['u-3', 'u-9', 'bot-1'] }],
      [
        'actor repeated',
        [
          ['actor', 'u-3'],
          ['actor', 'u-7'],
        ],
        { actor: ['u-3', 'u-7'] },
      ],
      [
        'ip as a comma list (IPv4 and IPv6)',
        [['ip', '198.51.100.23,2001:db8::1']],
        { ip: ['198.51.100.23', '2001:db8::1'] },
      ],
      [
        'product as a comma list',
        [['product', 'jira,confluence']],
        { product: ['jira', 'confluence'] },
      ],
    ];
    it.each(cases)('%s', async (_name, pairs, filter) => {
      const want = expected(filter);
      expect(want.length).toBeGreaterThan(0);
      expect(await ids(qs(pairs))).toEqual(want);
    });
  });

  describe('filters combined', () => {
    const cases: [string, [string, string | number][], Filter][] = [
      [
        'q + category + from',
        [
          ['q', 'jira-admins'],
          ['category', 'groups'],
          ['from', T0 + 5 * DAY],
        ],
        { q: 'jira-admins', category: 'groups', from: T0 + 5 * DAY },
      ],
      [
        'action list + product + to',
        [
          [
            'action',
            'user_added_to_group,group_created,user_granted_product_access,group_granted_product_access',
          ],
          ['product', 'jira'],
          ['to', iso(T0 + 25 * DAY)],
        ],
        {
          actions: [
            'user_added_to_group',
            'group_created',
            'user_granted_product_access',
            'group_granted_product_access',
          ],
          product: 'jira',
          to: T0 + 25 * DAY,
        },
      ],
      [
        'actor + ip + from + to',
        [
          ['actor', 'u-123'],
          ['ip', '203.0.113.7'],
          ['from', T0 + 2 * DAY],
          ['to', T0 + 28 * DAY],
        ],
        { actor: 'u-123', ip: '203.0.113.7', from: T0 + 2 * DAY, to: T0 + 28 * DAY },
      ],
      [
        'actor list + ip list + product list + category',
        [
          ['actor', 'u-123,u-2,u-3'],
          ['ip', '203.0.113.7,2001:db8::1'],
          ['product', 'jira,bitbucket'],
          ['category', 'site_product_users'],
        ],
        {
          actor: ['u-123', 'u-2', 'u-3'],
          ip: ['203.0.113.7', '2001:db8::1'],
          product: ['jira', 'bitbucket'],
          category: 'site_product_users',
        },
      ],
      [
        'category + product',
        [
          ['category', 'site_product_users'],
          ['product', 'jira'],
        ],
        { category: 'site_product_users', product: 'jira' },
      ],
      [
        'q (e-mail) + repeated action',
        [
          ['q', 'bob@acme.test'],
          ['action', 'user_added_to_group'],
          ['action', 'user_invited'],
          ['action', 'user_removed'],
        ],
        { q: 'bob@acme.test', actions: ['user_added_to_group', 'user_invited', 'user_removed'] },
      ],
      [
        'q (site) + ip + product',
        [
          ['q', 'acme.atlassian.test'],
          ['ip', '203.0.113.7'],
          ['product', 'jira'],
        ],
        { q: 'acme.atlassian.test', ip: '203.0.113.7', product: 'jira' },
      ],
    ];
    it.each(cases)('%s', async (_name, pairs, filter) => {
      const want = expected(filter);
      expect(want.length).toBeGreaterThan(0);
      expect(await ids(qs(pairs))).toEqual(want);
    });

    it('all nine at once', async () => {
      const e = events.find(
        (x) =>
          x.orgId === 'acme' &&
          x.action === 'user_added_to_group' &&
          x.actor.id === 'u-123' &&
          x.site,
      )!;
      const t = Date.parse(e.time);
      const filter: Filter = {
        q: 'Jane Doe',
        from: t,
        to: t,
        actions: [e.action, 'group_created'],
        category: e.category,
        actor: e.actor.id,
        ip: e.location.ip,
        product: e.product ?? undefined,
      };
      const pairs: [string, string | number][] = [
        ['q', ' JANE DOE '],
        ['from', t],
        ['to', e.time],
        ['action', `${e.action},group_created`],
        ['category', e.category],
        ['actor', e.actor.id],
      ];
      if (e.location.ip) pairs.push(['ip', e.location.ip]);
      if (e.product) pairs.push(['product', e.product]);
      const want = expected(filter);
      expect(want).toContain(e.id);
      expect(await ids(qs(pairs))).toEqual(want);
    });

    it('from and to are inclusive to the millisecond', async () => {
      const e = events.filter((x) => x.orgId === 'acme').sort(newestFirst)[40];
      const t = Date.parse(e.time);
      const at = await ids(
        qs([
          ['from', t],
          ['to', t],
        ]),
      );
      expect(at).toContain(e.id);
      expect(at).toEqual(expected({ from: t, to: t }));
      expect(await ids(qs([['from', t + 1]]))).not.toContain(e.id);
      expect(await ids(qs([['to', t - 1]]))).not.toContain(e.id);
    });

    it("never returns another org's events", async () => {
      const globex = await ids('', 'globex');
      expect(globex).toEqual(expected({}, 'globex'));
      const acme = new Set(await ids(''));
      expect(globex.some((id) => acme.has(id))).toBe(false);
    });
  });

  describe('exact-term semantics', () => {
    const q = (term: string) => ids(qs([['q', term]]));
    const acmeWith = (pred: (e: AuditEvent) => boolean) =>
      events
        .filter((e) => e.orgId === 'acme' && pred(e))
        .sort(newestFirst)
        .map((e) => e.id);

    it('"Jane" does not match "Jane Doe"', async () => {
      const onlyJaneDoe = acmeWith((e) => hasTerm(e, 'Jane Doe') && !hasTerm(e, 'Jane'));
      expect(onlyJaneDoe.length).toBeGreaterThan(0);
      const got = await q('Jane');
      expect(got).toEqual(expected({ q: 'Jane' }));
      expect(got.length).toBeGreaterThan(0);
      for (const id of onlyJaneDoe) expect(got).not.toContain(id);
      // Nor does a prefix or a word of a name.
      expect(await q('Doe')).toEqual([]);
      expect(await q('Jane Do')).toEqual([]);
    });

    it('"JANE DOE" matches "Jane Doe", whatever the case and surrounding spaces', async () => {
      const want = expected({ q: 'Jane Doe' });
      expect(want.length).toBeGreaterThan(3);
      expect(await q('JANE DOE')).toEqual(want);
      expect(await q('  jane doe\t')).toEqual(want);
      // A group named "Jane Doe" is a group name: it matches as well.
      const group = events.find((e) =>
        e.targets.some((t) => t.type === 'group' && t.name === 'Jane Doe'),
      )!;
      expect(want).toContain(group.id);
    });

    it('NFD input matches NFC data, and NFC input matches NFD data', async () => {
      const jose = expected({ q: 'José Álvarez' });
      expect(jose.length).toBeGreaterThan(0);
      expect(await q('Jose\u0301 A\u0301lvarez')).toEqual(jose);
      expect(await q('José Álvarez')).toEqual(jose);
      const zoe = acmeWith((e) => [e.actor, ...e.targets].some((p) => p.name === PEOPLE[4].name));
      expect(zoe.length).toBeGreaterThan(0);
      expect(await q('Zoë Ångström')).toEqual(zoe);
      expect(await q('zoe\u0308 a\u030angstro\u0308m')).toEqual(zoe);
    });

    it('matches e-mails of actors and targets, ignoring case', async () => {
      const want = expected({ q: 'bob@acme.test' });
      expect(want.length).toBeGreaterThan(0);
      expect(await q('BOB@ACME.TEST')).toEqual(want);
      expect(await q('padded@acme.test')).toEqual(expected({ q: 'padded@acme.test' }));
      expect(await q('padded@acme.test')).not.toEqual([]);
      expect(await q('bob@acme')).toEqual([]);
    });

    it('a stored name with surrounding spaces matches its trimmed form', async () => {
      const want = acmeWith((e) =>
        [e.actor, ...e.targets].some((p) => p.name === '  Padded Name '),
      );
      expect(want.length).toBeGreaterThan(0);
      expect(await q('Padded Name')).toEqual(want);
    });

    it('matches group names and site names', async () => {
      const groups = acmeWith((e) =>
        e.targets.some((t) => t.type === 'group' && t.name === 'jira-admins'),
      );
      expect(groups.length).toBeGreaterThan(0);
      expect(await q('JIRA-ADMINS')).toEqual(groups);
      const wiki = acmeWith((e) => e.site?.name === 'Acme Wiki');
      expect(wiki.length).toBeGreaterThan(0);
      expect(await q('acme wiki')).toEqual(wiki);
      expect(await q('acme.atlassian.test')).toEqual(
        acmeWith((e) => e.site?.name === 'acme.atlassian.test'),
      );
    });

    it('does not match a policy target, a domain, a product, metadata or ids', async () => {
      expect(
        events.some((e) => e.orgId === 'acme' && e.targets.some((t) => t.name === POLICY.name)),
      ).toBe(true);
      expect(await q('Strict MFA policy')).toEqual([]);
      expect(await q('verified.example')).toEqual([]);
      expect(await q('jira')).toEqual([]);
      expect(await q('onboarding')).toEqual([]);
      expect(await q('u-123')).toEqual([]);
      expect(await q('203.0.113.7')).toEqual([]);
    });
  });

  describe('paging', () => {
    it('walks every event exactly once with limit 7, following links.next', async () => {
      const want = expected({});
      const seen: string[] = [];
      let url: string | undefined = `${base}?limit=7`;
      let pages = 0;
      while (url) {
        const res: request.Response = await getWith(api.server, token, url).expect(200);
        pages++;
        expect(res.body.meta.page_size).toBe(7);
        expect(res.body.links.self).toBe(url);
        seen.push(...res.body.data.map((d: { id: string }) => d.id));
        if (res.body.meta.next === null) {
          expect(res.body.links.next).toBeUndefined();
          expect(res.body.data.length).toBeLessThanOrEqual(7);
          url = undefined;
        } else {
          expect(res.body.data).toHaveLength(7);
          expect(res.body.links.next).toBe(
            `${base}?limit=7&cursor=${encodeURIComponent(res.body.meta.next)}`,
          );
          url = res.body.links.next;
        }
      }
      expect(pages).toBe(Math.ceil(want.length / 7));
      expect(seen).toEqual(want);
    });

    it('walks back with links.prev, page for page, to the first page', async () => {
      const filter: [string, string][] = [
        ['category', 'groups'],
        ['limit', '5'],
      ];
      const want = expected({ category: 'groups' });
      expect(want.length).toBeGreaterThan(15);
      const pages: { ids: string[]; prev?: string }[] = [];
      let url: string | undefined = `${base}${qs(filter)}`;
      while (url) {
        const res: request.Response = await getWith(api.server, token, url).expect(200);
        pages.push({
          ids: res.body.data.map((d: { id: string }) => d.id),
          prev: res.body.links.prev,
        });
        url = res.body.links.next;
      }
      expect(pages.flatMap((p) => p.ids)).toEqual(want);
      // The first page has no page before it; every later one has.
      expect(pages[0].prev).toBeUndefined();
      for (const p of pages.slice(1)) expect(p.prev).toMatch(/^\/admin\/v1\/orgs\/acme\/events\?/);
      // Back from the last page: each prev is the page before, and its next is the page after.
      let back = pages[pages.length - 1].prev;
      for (let k = pages.length - 2; k >= 0; k--) {
        const res: request.Response = await getWith(api.server, token, back!).expect(200);
        expect(res.body.data.map((d: { id: string }) => d.id)).toEqual(pages[k].ids);
        expect(res.body.meta.page_size).toBe(5);
        const after = await getWith(api.server, token, res.body.links.next).expect(200);
        expect(after.body.data.map((d: { id: string }) => d.id)).toEqual(pages[k + 1].ids);
        back = res.body.links.prev;
        if (k === 0) expect(back).toBeUndefined();
        else expect(typeof back).toBe('string');
      }
    });

    it('sortOrder=asc walks oldest first, cursor alone, and back with links.prev', async () => {
      const want = expected({ category: 'groups' }).reverse();
      expect(want.length).toBeGreaterThan(15);
      const pages: { ids: string[]; prev?: string }[] = [];
      let url: string | undefined = `${base}?category=groups&sortOrder=asc&limit=6`;
      while (url) {
        const res: request.Response = await getWith(api.server, token, url).expect(200);
        pages.push({
          ids: res.body.data.map((d: { id: string }) => d.id),
          prev: res.body.links.prev,
        });
        // The cursor alone continues the query: category and order travel in it.
        url = res.body.meta.next
          ? `${base}?cursor=${encodeURIComponent(res.body.meta.next)}`
          : undefined;
      }
      expect(pages.flatMap((p) => p.ids)).toEqual(want);
      let back = pages[pages.length - 1].prev;
      for (let k = pages.length - 2; k >= 0; k--) {
        const res: request.Response = await getWith(api.server, token, back!).expect(200);
        expect(res.body.data.map((d: { id: string }) => d.id)).toEqual(pages[k].ids);
        back = res.body.links.prev;
      }
      expect(back).toBeUndefined();
    });

    it('refuses a bad sortOrder, and one that conflicts with its cursor, naming it', async () => {
      const bad = await getWith(api.server, token, `${base}?sortOrder=up`).expect(400);
      expect(bad.body.errors[0].source).toEqual({ parameter: 'sortOrder' });
      const first = await getWith(api.server, token, `${base}?sortOrder=asc&limit=3`).expect(200);
      const cursor = encodeURIComponent(first.body.meta.next);
      const clash = await getWith(api.server, token, `${base}?cursor=${cursor}&sortOrder=desc`);
      expect(clash.status).toBe(400);
      expect(clash.body.errors.map((e: { code: string }) => e.code)).toEqual(['cursor_conflict']);
      expect(clash.body.errors[0].source).toEqual({ parameter: 'sortOrder' });
      // The same order again is no conflict; oldest first, a later `to` is (it walks toward it).
      await getWith(api.server, token, `${base}?cursor=${cursor}&sortOrder=asc`).expect(200);
      const to = await getWith(api.server, token, `${base}?cursor=${cursor}&to=${T0 + 40 * DAY}`);
      expect(to.status).toBe(400);
      expect(to.body.errors[0].source).toEqual({ parameter: 'to' });
    });

    it('walks a filtered list with the cursor of meta.next', async () => {
      const filter: [string, string][] = [
        ['category', 'groups'],
        ['q', 'jira-admins'],
      ];
      const want = expected({ category: 'groups', q: 'jira-admins' });
      expect(want.length).toBeGreaterThan(7);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const pairs: [string, string][] = [...filter, ['limit', '7']];
        if (cursor) pairs.push(['cursor', cursor]);
        const res = await getWith(api.server, token, `${base}${qs(pairs)}`).expect(200);
        seen.push(...res.body.data.map((d: { id: string }) => d.id));
        cursor = res.body.meta.next;
      } while (cursor);
      expect(seen).toEqual(want);
    });

    it('keeps the walk exact while events are recorded during it', async () => {
      const org = 'initech';
      const rand = prng(7);
      const initial = await recordAll(
        api.audit,
        Array.from({ length: 60 }, (_, i) => ({
          orgId: org,
          action: 'user_invited',
          actor: { id: `u-${i % 5}`, name: `Walker ${i % 5}` },
          targets: [{ id: `u-t${i}`, type: 'user', name: `Target ${i}` }],
          // Some share a millisecond, so pages end inside a tie.
          time: iso(
            T0 + Math.floor(i / 3) * 3_600_000 + (i % 3 === 2 ? 0 : Math.floor(rand() * 1000)),
          ),
        })),
      );
      const walkStart = Date.now();
      const seen: string[] = [];
      const mustAppear = new Set<string>();
      const inserted = new Set<string>();
      let cursor: string | null = null;
      let lastTime = Number.POSITIVE_INFINITY;
      for (let page = 0; page < 100; page++) {
        const pairs: [string, string | number][] = [['limit', 7]];
        if (cursor) pairs.push(['cursor', cursor]);
        const res = await getWith(
          api.server,
          token,
          `/admin/v1/orgs/${org}/events${qs(pairs)}`,
        ).expect(200);
        const data: { id: string; attributes: { time: string } }[] = res.body.data;
        seen.push(...data.map((d) => d.id));
        cursor = res.body.meta.next;
        if (!cursor) break;
        lastTime = Date.parse(data[data.length - 1].attributes.time);
        // While the walk is on: one event newer than its start, one in the part already walked,
        // and one older than where it stands (keyset paging must still reach that one).
        const [newer, behind, ahead] = await recordAll(api.audit, [
          {
            orgId: org,
            action: 'user_removed',
            actor: { id: 'u-new' },
            time: new Date(walkStart + page),
          },
          {
            orgId: org,
            action: 'user_removed',
            actor: { id: 'u-behind' },
            time: iso(lastTime + 1),
          },
          {
            orgId: org,
            action: 'user_removed',
            actor: { id: 'u-ahead' },
            time: iso(lastTime - 1 - page),
          },
        ]);
        inserted.add(newer.id).add(behind.id).add(ahead.id);
        mustAppear.add(ahead.id);
      }
      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      const initialIds = initial.map((e) => e.id);
      for (const id of initialIds) expect(seen).toContain(id);
      for (const id of mustAppear) expect(seen).toContain(id);
      // Nothing but the org's own events, and the walk stays in order.
      for (const id of seen) expect(initialIds.includes(id) || inserted.has(id)).toBe(true);
      const order = new Map((await ids('', org)).map((id, k) => [id, k] as const));
      const positions = seen.map((id) => order.get(id)!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });
  });

  describe('shapes', () => {
    const example = () => events.find((e) => e.time === '2026-10-20T17:04:05.123Z')!;

    const searchFor = (term: string) =>
      `/admin/v1/orgs/acme/events?q=${encodeURIComponent(term).replace(/%20/g, '+')}`;

    const resource = (e: AuditEvent) => ({
      id: e.id,
      type: 'events',
      attributes: {
        time: '2026-10-20T17:04:05.123Z',
        seq: e.seq,
        action: 'user_added_to_group',
        category: 'groups',
        actor: { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
        context: [
          {
            id: 'u-9',
            type: 'user',
            attributes: { name: 'Bob Li', email: 'bob@acme.test' },
            links: { alt: searchFor('bob@acme.test') },
          },
          {
            id: 'g-1',
            type: 'group',
            attributes: { name: 'jira-admins' },
            links: { alt: searchFor('jira-admins') },
          },
        ],
        container: [
          {
            id: 's-1',
            type: 'site',
            attributes: { name: 'acme.atlassian.test' },
            links: { alt: searchFor('acme.atlassian.test') },
          },
        ],
        product: 'jira',
        location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (Macintosh)' },
        outcome: 'success',
        metadata: { reason: 'onboarding' },
      },
      message: { content: 'Jane Doe added Bob Li to jira-admins', format: 'simple' },
      links: { self: `/admin/v1/orgs/acme/events/${e.id}` },
    });

    it('answers a page as docs/api.md section 5 shows it', async () => {
      const e = example();
      const t = Date.parse(e.time);
      const url = `${base}${qs([
        ['from', t],
        ['to', t],
        ['limit', 5],
      ])}`;
      const res = await getWith(api.server, token, url)
        .expect(200)
        .expect('Content-Type', /application\/json/);
      expect(res.body).toEqual({
        data: [resource(e)],
        meta: { next: null, page_size: 5 },
        links: { self: url },
      });
    });

    it('gives every event the same shape, with seq, context and container', async () => {
      const res = await getWith(api.server, token, `${base}?limit=1000`).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'links', 'meta']);
      expect(res.body.meta).toEqual({ next: null, page_size: 1000 });
      const byId = new Map(events.map((e) => [e.id, e]));
      for (const d of res.body.data) {
        const e = byId.get(d.id)!;
        expect(Object.keys(d).sort()).toEqual(['attributes', 'id', 'links', 'message', 'type']);
        expect(d.type).toBe('events');
        expect(d.attributes.seq).toBe(e.seq);
        expect(d.attributes.time).toBe(e.time);
        expect(d.attributes.actor).toEqual(e.actor);
        // Users, groups and sites link to the log searched for them (e-mail, else name).
        const links = (type: string, term?: string) =>
          ['user', 'group', 'site'].includes(type) && term ? { alt: searchFor(term) } : {};
        expect(d.attributes.context).toEqual(
          e.targets.map(({ id, type, ...attributes }) => ({
            id,
            type,
            attributes,
            links: links(type, attributes.email ?? attributes.name),
          })),
        );
        expect(d.attributes.container).toEqual(
          e.site
            ? [
                {
                  id: e.site.id,
                  type: 'site',
                  attributes: e.site.name ? { name: e.site.name } : {},
                  links: links('site', e.site.name),
                },
              ]
            : [],
        );
        expect(d.message.format).toBe('simple');
        expect(typeof d.message.content).toBe('string');
        expect(d.message.content).not.toMatch(/[{}]/);
        expect(d.links.self).toBe(`/admin/v1/orgs/acme/events/${e.id}`);
      }
      const seqs = res.body.data
        .map((d: { attributes: { seq: number } }) => d.attributes.seq)
        .sort((a: number, b: number) => a - b);
      expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    });

    it('defaults page_size to 100 and says where the next page is', async () => {
      const res = await getWith(api.server, token, base).expect(200);
      expect(res.body.meta.page_size).toBe(100);
      expect(res.body.data).toHaveLength(100);
      expect(typeof res.body.meta.next).toBe('string');
      expect(res.body.links).toEqual({
        self: base,
        next: `${base}?cursor=${encodeURIComponent(res.body.meta.next)}`,
      });
    });

    it('GET one event answers { data } with the same resource', async () => {
      const e = example();
      const res = await getWith(api.server, token, `${base}/${e.id}`).expect(200);
      expect(res.body).toEqual({ data: resource(e) });
    });

    it('GET one event of another org, or an unknown id, is a 404', async () => {
      const other = events.find((e) => e.orgId === 'globex')!;
      for (const path of [
        `${base}/${other.id}`,
        `${base}/01JD7ZZZZZZZZZZZZZZZZZZZZZ`,
        `${base}/not-an-id`,
      ]) {
        const res = await getWith(api.server, token, path).expect(404);
        expect(res.body.errors[0]).toMatchObject({ status: '404', code: 'not_found' });
        expect(res.body.data).toBeUndefined();
      }
      await getWith(api.server, token, `/admin/v1/orgs/globex/events/${other.id}`).expect(200);
    });

    it('lists event actions with display names and their category', async () => {
      const res = await getWith(api.server, token, '/admin/v1/orgs/acme/event-actions').expect(200);
      expect(res.body.data).toHaveLength(BUILTIN_ACTIONS.length);
      expect(res.body.data).toContainEqual({
        id: 'group_created',
        type: 'event-actions',
        attributes: {
          displayName: 'Group created',
          category: 'groups',
          groupDisplayName: 'Groups',
        },
      });
      for (const a of res.body.data) {
        expect(Object.keys(a.attributes).sort()).toEqual([
          'category',
          'displayName',
          'groupDisplayName',
        ]);
      }
    });

    it('an event recorded through the API is visible as soon as it is answered', async () => {
      const writer = await tokenFor({ hooli: ['site-admin'] }, { scope: 'events:write' });
      const posted = await request(api.server)
        .post('/admin/v1/orgs/hooli/events')
        .set('Authorization', `Bearer ${writer}`)
        .send({
          action: 'group_created',
          actor: { id: 'u-fresh', name: 'Fresh Person' },
          targets: [{ id: 'g-9', type: 'group', name: 'fresh-group' }],
        })
        .expect(201);
      const res = await getWith(
        api.server,
        token,
        '/admin/v1/orgs/hooli/events?q=fresh-group',
      ).expect(200);
      expect(res.body.data.map((d: { id: string }) => d.id)).toEqual([posted.body.data.id]);
    });
  });
});
