import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { AuditEvent, AuditEventInput, AuditLogModule, AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule, signAuditToken } from '@auditkit/nestjs/admin';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { prng } from '../../apps/example-host/src/demo-data';

export { prng };

/** The HS256 secret the API under test verifies tokens with. */
export const SECRET = 'auditkit-api-e2e-secret-0123456789abcdef';

/** The admin API booted as a host would, on a fresh database of its own. */
export interface ApiHarness {
  app: INestApplication;
  server: Server;
  audit: AuditService;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startApi(kind: 'mariadb' | 'sqlite'): Promise<ApiHarness> {
  const db = await createTestDatabase(kind);
  let app: INestApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
  } catch (err) {
    await app?.close();
    await db.drop();
    throw err;
  }
  const opened = app;
  return {
    app: opened,
    server: opened.getHttpServer(),
    audit: opened.get(AuditService),
    db,
    close: async () => {
      await opened.close();
      await db.drop();
    },
  };
}

/** A signed token for `orgs`, valid for an hour unless told otherwise. */
export function tokenFor(
  orgs: Record<string, string[]>,
  options: { scope?: string; sub?: string; secret?: string; ttl?: number; now?: Date } = {},
): Promise<string> {
  return signAuditToken(
    {
      sub: options.sub ?? 'u-admin',
      name: 'Ada Admin',
      email: 'ada@acme.test',
      orgs,
      scope: options.scope,
    },
    options.secret ?? SECRET,
    options.ttl ?? 3600,
    options.now,
  );
}

/** Records events one after another; resolves with the stored events in the same order. */
export async function recordAll(
  audit: AuditService,
  inputs: AuditEventInput[],
): Promise<AuditEvent[]> {
  // Concurrent calls share group commits; the results still line up with the inputs.
  return Promise.all(inputs.map((input) => audit.record(input)));
}

/** Newest first, as the API orders events: time desc, then id desc. */
export function newestFirst(
  a: Pick<AuditEvent, 'time' | 'id'>,
  b: Pick<AuditEvent, 'time' | 'id'>,
): number {
  if (a.time !== b.time) return a.time < b.time ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A query string from pairs, so a parameter can be repeated. */
export function qs(pairs: [string, string | number][]): string {
  const params = new URLSearchParams();
  for (const [k, v] of pairs) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** GET with a bearer token. */
export function getWith(server: Server, token: string, path: string) {
  return request(server).get(path).set('Authorization', `Bearer ${token}`);
}
