import { INestApplication } from '@nestjs/common';
import { rmSync } from 'node:fs';
import request from 'supertest';
import { AuditService } from '@auditkit/nestjs';
import { EXPORT_READY_SUBJECT } from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import { allEvents, createExportApp, seedEvents, tempDir, token } from './support/export-app';
import { SmtpSink } from './support/smtp-sink';

/** An address of 321 characters: 65 + "@" + a domain of 255. */
const LONG_EMAIL = `${'a'.repeat(65)}@${['b'.repeat(63), 'c'.repeat(63), 'd'.repeat(63), 'e'.repeat(63)].join('.')}`;

describe('export requests check the e-mail and name claims (MariaDB, SMTP)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let app: INestApplication;
  let storageDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
    storageDir = tempDir('claim-exports');
    app = await createExportApp({
      databaseUrl: db.url,
      export: { smtpUrl: smtp.url, storageDir, queue: { backoffMs: 50 } },
    });
    await seedEvents(app, 'acme', 5);
  });

  afterAll(async () => {
    await app?.close();
    await smtp?.close();
    await db?.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  let users = 0;
  // A user of its own per request, so the export rate limit per user never gets in the way.
  const exportAs = async (claims: { email?: string; name?: string }) =>
    request(app.getHttpServer())
      .post('/admin/v1/orgs/acme/exports')
      .set('Authorization', `Bearer ${await token({ sub: `u-claims-${++users}`, ...claims })}`)
      .send({});

  it.each([
    ['an e-mail list', { email: 'victim@x.test, attacker@evil.test' }, 'email'],
    ['a display name in the e-mail', { email: 'Victim <victim@x.test>' }, 'email'],
    ['an e-mail with a newline', { email: 'victim@x.test\nBcc: attacker@evil.test' }, 'email'],
    ['an e-mail of 321 characters', { email: LONG_EMAIL }, 'email'],
    [
      'a name with newlines',
      { name: 'Jane\r\n\r\nDownload audit log: http://evil.test/phish\r\n' },
      'name',
    ],
    ['a name with a control character', { name: 'Jane\u0000Doe' }, 'name'],
    ['a name of 1000 characters', { name: 'J'.repeat(1000) }, 'name'],
  ])('refuses an export for %s with a 4xx naming the claim', async (_what, claims, claim) => {
    const res = await exportAs(claims);
    expect(res.status).toBe(422);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ status: '422', code: 'invalid_claim' });
    expect(res.body.errors[0].detail).toContain(`"${claim}"`);
    // The error does not echo the claim back.
    expect(res.body.errors[0].detail).not.toContain('evil');
  });

  it('sent no mail and recorded no export for the refused requests; a valid one mails one address', async () => {
    const res = await exportAs({ email: 'jane@acme.test', name: 'Jane Admin' });
    expect(res.status).toBe(202);
    const id = res.body.data.id as string;
    const mail = await waitFor('the valid export mail', () => smtp.forExport(id)[0]);
    expect(mail.subject).toBe(EXPORT_READY_SUBJECT);
    // Everything the sink ever received is that one mail.
    expect(smtp.messages).toHaveLength(1);
    const to = mail.to && 'value' in mail.to ? mail.to.value : [];
    expect(to).toEqual([{ address: 'jane@acme.test', name: 'Jane Admin' }]);
    await app.get(AuditService).flush();
    const admin = await token();
    const exported = await allEvents(app, admin, 'acme', { action: 'audit_log_exported' });
    expect(exported.map((e) => e.attributes.metadata.exportId)).toEqual([id]);
  });
});
