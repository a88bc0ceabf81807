import { ConsoleLogger, INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Bull from 'bull';
import { parseString } from 'fast-csv';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { AuditClock, AuditLogModule, AuditService } from '@auditkit/nestjs';
import { AuditAdminModule, signAuditToken } from '@auditkit/nestjs/admin';
import {
  AuditExportModule,
  AuditExportModuleOptions,
  AuditExportQueueOptions,
  DOWNLOAD_LINK_LABEL,
  ExportStorage,
} from '@auditkit/nestjs/export';

export const JWT_SECRET = 'export-tests-jwt-secret-0123456789abcdef';
export const LINK_SECRET = 'export-tests-link-secret-0123456789abcdef';
export const PUBLIC_URL = 'http://auditkit.test';

/** A clock a test sets; starts at the real time. */
export class TestClock implements AuditClock {
  constructor(private ms: number = Date.now()) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const queuesUsed: { name: string; prefix: string }[] = [];

/** A queue name of its own per app, so runs never share jobs. */
export function uniqueQueue(label: string): { name: string; prefix: string } {
  const suffix = randomBytes(4).toString('hex');
  const queue = { name: `exports-${label}-${suffix}`, prefix: `auditkit-test-${suffix}` };
  queuesUsed.push(queue);
  return queue;
}

/** Removes every key of the queues this suite made from `redisUrl` (call after the apps closed). */
export async function forgetQueues(redisUrl: string): Promise<void> {
  for (const { name, prefix } of queuesUsed.splice(0)) {
    const queue = new Bull(name, redisUrl, { prefix });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `auditkit-${label}-`));
}

export interface ExportAppOptions {
  databaseUrl: string;
  export: Partial<AuditExportModuleOptions> & {
    queue?: AuditExportQueueOptions;
    storage?: ExportStorage;
  };
  logger?: LoggerService | false;
  /** Serve HTTP (an app) or not (a worker-only context still gets `init()`). */
}

/** AuditLogModule + AuditAdminModule + AuditExportModule on one database, as a host wires them. */
export async function createExportApp(o: ExportAppOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl: o.databaseUrl }),
      AuditAdminModule.forRoot({ jwt: { secret: JWT_SECRET } }),
      AuditExportModule.forRoot({
        publicUrl: PUBLIC_URL,
        linkSecret: LINK_SECRET,
        cleanup: false,
        ...o.export,
      }),
    ],
  }).compile();
  // AUDITKIT_TEST_LOGS=1 shows what the library logs while a test runs.
  const app = moduleRef.createNestApplication({
    logger: o.logger ?? (process.env.AUDITKIT_TEST_LOGS ? new ConsoleLogger() : false),
  });
  await app.init();
  return app;
}

export interface Claims {
  sub?: string;
  name?: string;
  email?: string | null;
  orgs?: Record<string, string[]>;
}

/** A bearer token; an org admin of `acme` named Jane by default. */
export function token(claims: Claims = {}): Promise<string> {
  return signAuditToken(
    {
      sub: claims.sub ?? 'u-admin',
      name: claims.name ?? 'Jane Admin',
      email: claims.email === null ? undefined : (claims.email ?? 'jane@acme.test'),
      orgs: claims.orgs ?? { acme: ['org-admin'] },
    },
    JWT_SECRET,
    3600,
  );
}

/** Parses a CSV with fast-csv into rows of cells (the header row first). */
export function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    parseString<string[], string[]>(text, { headers: false })
      .on('data', (row: string[]) => rows.push(row))
      .on('error', reject)
      .on('end', () => resolve(rows));
  });
}

/** The download link of a mail, checking it is in both parts under its label. */
export function downloadLink(mail: ParsedMail): string {
  const text = mail.text ?? '';
  const match = new RegExp(`${DOWNLOAD_LINK_LABEL}: (\\S+)`).exec(text);
  if (!match) throw new Error(`no "${DOWNLOAD_LINK_LABEL}" link in the text part:\n${text}`);
  const html = typeof mail.html === 'string' ? mail.html : '';
  const href = match[1].replace(/&/g, '&amp;');
  if (!html.includes(`<a href="${href}">${DOWNLOAD_LINK_LABEL}</a>`)) {
    throw new Error(`the HTML part has no "${DOWNLOAD_LINK_LABEL}" link to ${match[1]}`);
  }
  return match[1];
}

/** The path and query of a link under PUBLIC_URL, for supertest. */
export function pathOf(link: string): string {
  if (!link.startsWith(`${PUBLIC_URL}/`))
    throw new Error(`link ${link} is not under ${PUBLIC_URL}`);
  return link.slice(PUBLIC_URL.length);
}

/** Downloads a link's CSV as text (any status; the caller checks it). */
export function download(app: INestApplication, link: string) {
  return request(app.getHttpServer())
    .get(pathOf(link))
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
    });
}

/** Every event GET events answers for `query`, following `links.next`. */
export async function allEvents(
  app: INestApplication,
  bearer: string,
  orgId: string,
  query: Record<string, string> = {},
): Promise<any[]> {
  const out: any[] = [];
  let path: string | undefined =
    `/admin/v1/orgs/${orgId}/events?` + new URLSearchParams({ ...query, limit: '1000' }).toString();
  while (path) {
    const res: request.Response = await request(app.getHttpServer())
      .get(path)
      .set('Authorization', `Bearer ${bearer}`)
      .expect(200);
    out.push(...res.body.data);
    path = res.body.links.next;
  }
  return out;
}

/** The CSV cells docs/api.md section 5 expects for an event resource of GET events. */
export function expectedRow(
  event: any,
  actions: Map<string, { displayName: string; group: string }>,
): string[] {
  const a = event.attributes;
  const neutral = (v: string) => (/^[=+\-@\t\r\n]/.test(v) ? `'${v}` : v);
  const targets = a.context
    .map((t: any) =>
      t.attributes.name && t.attributes.email
        ? `${t.attributes.name} <${t.attributes.email}>`
        : t.attributes.name || t.attributes.email || t.id,
    )
    .join('; ');
  const site = a.container[0] ? a.container[0].attributes.name || a.container[0].id : '';
  return [
    a.time,
    a.actor.name || a.actor.id,
    a.actor.email ?? '',
    actions.get(a.action)!.displayName,
    a.action,
    actions.get(a.action)!.group,
    targets,
    site,
    a.product ?? '',
    a.location?.ip ?? '',
    a.outcome,
    event.id,
  ].map(neutral);
}

/** Display names of every action, from GET event-actions. */
export async function actionNames(
  app: INestApplication,
  bearer: string,
  orgId: string,
): Promise<Map<string, { displayName: string; group: string }>> {
  const res = await request(app.getHttpServer())
    .get(`/admin/v1/orgs/${orgId}/event-actions`)
    .set('Authorization', `Bearer ${bearer}`)
    .expect(200);
  return new Map(
    res.body.data.map((a: any) => [
      a.id,
      { displayName: a.attributes.displayName, group: a.attributes.groupDisplayName },
    ]),
  );
}

/** Non-hidden files of a directory (finished exports). */
export function finishedFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** Every file of a directory, hidden temporaries included. */
export function allFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const PRODUCTS = ['jira', 'confluence', null];
const ACTIONS = [
  'group_created',
  'user_added_to_group',
  'user_invited',
  'policy_updated',
  'org_settings_changed',
  'user_two_step_enabled',
] as const;

/**
 * Records `count` varied events for `orgId` through AuditService, one millisecond apart (some
 * sharing a millisecond), ending `endMs` (now by default).
 */
export async function seedEvents(
  app: INestApplication,
  orgId: string,
  count: number,
  opts: { endMs?: number; names?: string[] } = {},
): Promise<void> {
  const audit = app.get(AuditService);
  const end = opts.endMs ?? Date.now() - 60_000;
  const names = opts.names ?? ['Jane Doe', 'Bob Li', 'Zoë Ölçer 😀', 'Doe, John "JD"'];
  const inputs = Array.from({ length: count }, (_, i) => {
    const action = ACTIONS[i % ACTIONS.length];
    const name = names[i % names.length];
    return {
      orgId,
      action,
      time: end - Math.floor(i / 3) * 1000,
      actor: { id: `u-${i % 7}`, type: 'user', name, email: `user${i % 7}@${orgId}.test` },
      targets:
        i % 4 === 0
          ? []
          : [
              {
                id: `u-t${i}`,
                type: 'user',
                name: names[(i + 1) % names.length],
                email: `t${i}@${orgId}.test`,
              },
              { id: `g-${i % 3}`, type: 'group', name: `group ${i % 3}` },
              { id: `p-${i % 2}`, type: 'policy' },
            ],
      site: i % 5 === 0 ? null : { id: `s-${i % 2}`, name: `${orgId}.atlassian.test` },
      product: PRODUCTS[i % PRODUCTS.length],
      location: { ip: `203.0.113.${i % 250}`, userAgent: 'seed' },
      outcome: i % 9 === 0 ? ('failure' as const) : ('success' as const),
      metadata: { reason: 'seed', setting: 'sso', previousName: 'old' },
    };
  });
  await Promise.all(inputs.map((input) => audit.record(input)));
}
