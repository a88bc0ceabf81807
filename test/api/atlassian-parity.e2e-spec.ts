import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AuditEvent, AuditEventInput } from '@auditkit/nestjs';
import { DATABASES } from '../support/databases';
import { ApiHarness, getWith, newestFirst, qs, recordAll, startApi, tokenFor } from './api-harness';

/**
 * Real answers of the events routes against the schemas of Atlassian's published organizations
 * API document (test/fixtures/atlassian: the schemas, their source and commit), as Atlassian's
 * own clients (jira.js, go-atlassian) read them, plus the paging and filter patterns of those
 * clients.
 */

type Schema = Record<string, unknown>;
interface Fixture {
  source: { commit: string };
  operations: Record<string, Record<string, string | string[]>>;
  components: { schemas: Record<string, Schema> };
}

const FIXTURE: Fixture = JSON.parse(
  readFileSync(
    join(__dirname, '..', 'fixtures', 'atlassian', 'admin-organization.schemas.json'),
    'utf8',
  ),
);

/** OpenAPI 3.0 schema objects to JSON Schema 2020-12: `nullable: true` becomes a `null` type. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') out[k] = toJsonSchema(v);
  if ((node as Schema).nullable === true && typeof out.type === 'string')
    out.type = [out.type, 'null'];
  return out;
}

const schemas = toJsonSchema(FIXTURE.components.schemas) as Record<string, Schema>;
// The one adaptation: AuditKit answers `meta.next: null` on the last page, which Atlassian's
// `EventPage` types as a plain string (their `PolicyPage` marks the same field nullable).
const eventPageMeta = (schemas.EventPage.properties as Record<string, Schema>).meta;
((eventPageMeta.properties as Record<string, Schema>).next as Schema).type = ['string', 'null'];

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

/** Whether `body` is valid against the fixture's schema `name`; throws with ajv's errors if not. */
function expectSchema(name: string, body: unknown): void {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile({
      $ref: `#/components/schemas/${name}`,
      components: { schemas },
    });
    compiled.set(name, validate);
  }
  if (!validate(body)) {
    throw new Error(
      `not a valid Atlassian ${name} (admin_organization.json@${FIXTURE.source.commit.slice(0, 7)}): ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 1500)}`,
    );
  }
}

/** The body valid against one of `names`. */
function expectOneOf(names: string | string[], body: unknown): void {
  const list = ([] as string[]).concat(names);
  const failures: string[] = [];
  for (const name of list) {
    try {
      expectSchema(name, body);
      return;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  throw new Error(failures.join('\n'));
}

const op = (route: string) => FIXTURE.operations[`GET /orgs/{orgId}/${route}`];

/**
 * An AuditKit error body as an Atlassian client reads it: each error's `code` replaced by the
 * Atlassian code AuditKit carries in `meta.atlassianCode` (AuditKit's `code` stays its own).
 */
function asAtlassian(body: { errors: { code: string; meta?: { atlassianCode?: string } }[] }) {
  return {
    errors: body.errors.map((e) => {
      expect(e.meta?.atlassianCode).toMatch(/^ADMIN-\d{3}-\d+$/);
      return { ...e, code: e.meta!.atlassianCode };
    }),
  };
}

// In the past, so that `to=now` covers every event.
const T0 = Date.now() - 2 * 86_400_000;

function inputs(): AuditEventInput[] {
  const people = [
    { id: 'u-1', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
    { id: 'u-2', type: 'user', name: 'Bob Li', email: 'bob@acme.test' },
    { id: 'u-3', type: 'user', name: 'Chen Wei' },
  ];
  const ips = ['203.0.113.7', '198.51.100.23', '2001:db8::1'];
  const products = ['jira', 'confluence', 'bitbucket', null];
  return Array.from({ length: 36 }, (_, i) => ({
    orgId: 'acme',
    action: i % 3 === 0 ? 'user_added_to_group' : i % 3 === 1 ? 'group_created' : 'policy_updated',
    actor: people[i % 3],
    targets:
      i % 3 === 0
        ? [people[(i + 1) % 3], { id: 'g-1', type: 'group', name: 'jira-admins' }]
        : i % 3 === 1
          ? [{ id: `g-${i}`, type: 'group', name: `group ${i}` }]
          : [{ id: 'p-1', type: 'policy', name: 'Strict MFA policy' }],
    site: i % 4 === 3 ? null : { id: 's-1', name: 'acme.atlassian.test' },
    product: products[i % 4],
    location: i % 5 === 4 ? {} : { ip: ips[i % 3], userAgent: 'go-atlassian/1.6' },
    outcome: i % 7 === 6 ? 'failure' : 'success',
    metadata: { reason: 'parity' },
    // Two by two they share a millisecond: the id breaks the tie.
    time: new Date(T0 + Math.floor(i / 2) * 60_000),
  }));
}

describe.each(DATABASES)(
  "Atlassian's organizations API schemas against the events routes on %s",
  (kind) => {
    let api: ApiHarness;
    let token: string;
    let events: AuditEvent[];
    const base = '/admin/v1/orgs/acme';
    const get = (path: string) => getWith(api.server, token, path);
    const idsOf = (res: request.Response) => res.body.data.map((d: { id: string }) => d.id);
    const want = (pred: (e: AuditEvent) => boolean = () => true) =>
      events
        .filter(pred)
        .sort(newestFirst)
        .map((e) => e.id);

    beforeAll(async () => {
      api = await startApi(kind);
      token = await tokenFor({ acme: ['org-admin'] });
      events = await recordAll(api.audit, inputs());
    });

    afterAll(async () => {
      await api?.close();
    });

    describe('GET /events', () => {
      it('every page of a walk is an EventPage, with links.next and links.prev', async () => {
        const pages: request.Response[] = [];
        let url: string | undefined = `${base}/events?limit=5`;
        while (url) {
          const res: request.Response = await get(url).expect(200);
          expectOneOf(op('events')['200'], res.body);
          pages.push(res);
          url = res.body.links.next;
        }
        expect(pages.length).toBe(Math.ceil(events.length / 5));
        expect(pages.flatMap(idsOf)).toEqual(want());
        expect(pages[0].body.links.prev).toBeUndefined();
        for (const p of pages.slice(1)) expect(typeof p.body.links.prev).toBe('string');
        // Following prev from the last page gives the page before it, also an EventPage.
        const back = await get(pages[pages.length - 1].body.links.prev).expect(200);
        expectOneOf(op('events')['200'], back.body);
        expect(idsOf(back)).toEqual(idsOf(pages[pages.length - 2]));
      });

      it("keeps AuditKit's own fields beside Atlassian's, and links on context and container items", async () => {
        const res = await get(`${base}/events?limit=1000`).expect(200);
        expectOneOf(op('events')['200'], res.body);
        for (const d of res.body.data) {
          expect(Object.keys(d.attributes)).toEqual(
            expect.arrayContaining(['seq', 'category', 'outcome', 'metadata']),
          );
          for (const item of [...d.attributes.context, ...d.attributes.container]) {
            expect(item.links).toBeInstanceOf(Object);
            expectSchema('EventObjectModel', item);
          }
        }
        const withGroup = res.body.data.find((d: any) =>
          d.attributes.context.some((c: any) => c.type === 'group'),
        );
        const group = withGroup.attributes.context.find((c: any) => c.type === 'group');
        // The alt link is the log searched for the object: following it finds this event.
        const alt = await get(group.links.alt).expect(200);
        expect(idsOf(alt)).toContain(withGroup.id);
        const site = withGroup.attributes.container[0] ?? null;
        if (site) expect(site.links.alt).toBe(`${base}/events?q=acme.atlassian.test`);
      });

      it("a client that sends only the cursor walks the whole query (Atlassian's pattern)", async () => {
        const first = await get(
          `${base}/events?action=group_created,policy_updated&limit=4`,
        ).expect(200);
        const seen = [...idsOf(first)];
        let cursor: string | null = first.body.meta.next;
        while (cursor) {
          const res = await get(`${base}/events${qs([['cursor', cursor]])}`).expect(200);
          expectOneOf(op('events')['200'], res.body);
          expect(res.body.meta.page_size).toBe(4);
          seen.push(...idsOf(res));
          cursor = res.body.meta.next;
        }
        expect(seen).toEqual(want((e) => e.action !== 'user_added_to_group'));
      });

      it('a client that recomputes to=now on every page keeps paging', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const pairs: [string, string | number][] = [
            ['from', T0],
            ['to', Date.now()],
            ['limit', 7],
          ];
          if (cursor) pairs.push(['cursor', cursor]);
          const res: request.Response = await get(`${base}/events${qs(pairs)}`).expect(200);
          seen.push(...idsOf(res));
          cursor = res.body.meta.next;
          pages++;
          // Now moves on between pages.
          await new Promise((r) => setTimeout(r, 2));
        } while (cursor);
        expect(pages).toBeGreaterThan(2);
        expect(seen).toEqual(want());
      });

      it.each([
        ['actor', 'u-1,u-2', (e: AuditEvent) => ['u-1', 'u-2'].includes(e.actor.id)],
        [
          'product',
          'jira,confluence',
          (e: AuditEvent) => e.product === 'jira' || e.product === 'confluence',
        ],
        [
          'ip',
          '203.0.113.7,2001:db8::1',
          (e: AuditEvent) => ['203.0.113.7', '2001:db8::1'].includes(e.location.ip ?? ''),
        ],
        [
          'action',
          'group_created,policy_updated',
          (e: AuditEvent) => e.action === 'group_created' || e.action === 'policy_updated',
        ],
      ])(
        '%s as a comma list (explode: false) matches any of its values',
        async (name, value, pred) => {
          const expected = want(pred);
          expect(expected.length).toBeGreaterThan(0);
          expect(expected.length).toBeLessThan(events.length);
          const res = await get(
            `${base}/events${qs([
              [name, value],
              ['limit', 1000],
            ])}`,
          ).expect(200);
          expectOneOf(op('events')['200'], res.body);
          expect(idsOf(res)).toEqual(expected);
        },
      );

      it('a bad cursor, a conflicting cursor and a bad date carry the codes of Atlassian’s 400s', async () => {
        const cursor = (await get(`${base}/events?action=group_created&limit=2`).expect(200)).body
          .meta.next;
        const cases: [string, string, string][] = [
          [qs([['cursor', 'nope']]), 'cursor', 'ADMIN-400-1'],
          [
            qs([
              ['action', 'policy_updated'],
              ['cursor', cursor],
            ]),
            'action',
            'ADMIN-400-1',
          ],
          [qs([['from', 'yesterday']]), 'from', 'ADMIN-400-3'],
          [qs([['to', '2026-02-31']]), 'to', 'ADMIN-400-3'],
        ];
        for (const [query, parameter, code] of cases) {
          const res = await get(`${base}/events${query}`).expect(400);
          expect(res.body.errors[0].source).toEqual({ parameter });
          expect(res.body.errors[0].meta).toEqual({ atlassianCode: code });
          for (const e of res.body.errors) expectSchema('ApplicationError', e);
          expectOneOf(op('events')['400'], asAtlassian(res.body));
        }
      });
    });

    describe('GET /events/{eventId}', () => {
      it('is an Event', async () => {
        for (const e of events.slice(0, 12)) {
          const res = await get(`${base}/events/${e.id}`).expect(200);
          expectOneOf(op('events/{eventId}')['200'], res.body);
          expect(res.body.data.attributes.seq).toBe(e.seq);
        }
      });

      it('an unknown event is a 404 with Atlassian’s event-not-found code', async () => {
        const res = await get(`${base}/events/01JD7ZZZZZZZZZZZZZZZZZZZZZ`).expect(404);
        expect(res.body.errors[0]).toMatchObject({
          status: '404',
          code: 'not_found',
          meta: { atlassianCode: 'ADMIN-404-4' },
        });
        expectSchema('ApplicationError', res.body.errors[0]);
        expectOneOf(op('events/{eventId}')['404'], asAtlassian(res.body));
      });
    });

    describe('GET /event-actions', () => {
      it('is an EventActions', async () => {
        const res = await get(`${base}/event-actions`).expect(200);
        expect(res.body.data.length).toBeGreaterThan(10);
        expectOneOf(op('event-actions')['200'], res.body);
      });
    });

    describe('401', () => {
      it.each([
        ['events', `${base}/events`],
        ['events/{eventId}', `${base}/events/01JD7ZZZZZZZZZZZZZZZZZZZZZ`],
        ['event-actions', `${base}/event-actions`],
      ])(
        'GET %s without a valid token answers Atlassian’s ProxyError inside the errors envelope',
        async (route, path) => {
          for (const auth of [undefined, 'Bearer nope']) {
            let req = request(api.server).get(path);
            if (auth) req = req.set('Authorization', auth);
            const res = await req.expect(401);
            expectOneOf(op(route)['401'], res.body);
            expect(res.body.code).toBe(401);
            expect(res.body.message).toBe(res.body.errors[0].detail);
            expect(res.body.errors[0]).toMatchObject({ status: '401', code: 'unauthorized' });
            expect(Object.keys(res.body).sort()).toEqual(['code', 'errors', 'message']);
          }
        },
      );
    });

    describe('GET /events-stream', () => {
      it('pages of events valid against the schema of the fixture', async () => {
        const res = await get(`${base}/events-stream`).expect(200);
        expectOneOf(op('events-stream')['200'], res.body);
        const denied = await request(api.server).get(`${base}/events-stream`).expect(401);
        expectOneOf(op('events-stream')['401'], denied.body);
      });
    });
  },
);
