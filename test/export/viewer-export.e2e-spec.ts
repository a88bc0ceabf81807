import { INestApplication } from '@nestjs/common';
import { rmSync } from 'node:fs';
import request from 'supertest';
import { ViewerTokenService } from '@auditkit/nestjs/admin';
import { EXPORT_READY_SUBJECT } from '@auditkit/nestjs/export';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { waitFor } from '../support/wait-for';
import {
  allEvents,
  createExportApp,
  download,
  downloadLink,
  parseCsv,
  seedEvents,
  tempDir,
  token,
} from './support/export-app';
import { SmtpSink } from './support/smtp-sink';

// A viewer token exports only when it names an e-mail (issue #13): the CSV holds what the token
// shows and no more, and goes to the token's address; it cannot ask for wider filters, nor list
// or read the org's exports (they show admins' e-mails).

const EXPORTS = '/admin/v1/orgs/acme/exports';

describe('viewer tokens and exports (MariaDB, SMTP)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let app: INestApplication;
  let storageDir: string;
  let viewers: ViewerTokenService;
  const http = () => request(app.getHttpServer());
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    smtp = await SmtpSink.start();
    storageDir = tempDir('viewer-exports');
    app = await createExportApp({
      databaseUrl: db.url,
      export: { smtpUrl: smtp.url, storageDir, queue: { backoffMs: 50 } },
    });
    await seedEvents(app, 'acme', 24);
    viewers = app.get(ViewerTokenService);
  });

  afterAll(async () => {
    await app?.close();
    await smtp?.close();
    await db?.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('refuses an export to a token without an e-mail, and the list of exports to any', async () => {
    const { token: reader } = await viewers.mint({ orgId: 'acme' });
    const res = await http().post(EXPORTS).set(bearer(reader)).send({}).expect(403);
    expect(res.body.errors[0].code).toBe('viewer_token_no_export');
    const { token: exporter } = await viewers.mint({
      orgId: 'acme',
      exportEmail: 'viewer@host.test',
    });
    await http().get(EXPORTS).set(bearer(exporter)).expect(403);
    await http().get(`${EXPORTS}/01ARZ3NDEKTSV4RRFFQ69G5FAV`).set(bearer(exporter)).expect(403);
    await http().post('/admin/v1/orgs/globex/exports').set(bearer(exporter)).send({}).expect(403);
  });

  it('cannot widen the export: 403 naming the field', async () => {
    const { token: exporter } = await viewers.mint({
      orgId: 'acme',
      actions: ['group_created'],
      exportEmail: 'viewer@host.test',
    });
    const res = await http()
      .post(EXPORTS)
      .set(bearer(exporter))
      .send({ action: ['group_created', 'user_invited'] })
      .expect(403);
    expect(res.body.errors[0]).toMatchObject({
      code: 'outside_viewer_token',
      source: { pointer: '/action' },
    });
  });

  it("exports what the token shows, mailed to the token's e-mail", async () => {
    const { token: exporter } = await viewers.mint({
      orgId: 'acme',
      subject: 'host-user-7',
      actions: ['group_created', 'user_invited'],
      exportEmail: 'viewer@host.test',
    });
    const res = await http().post(EXPORTS).set(bearer(exporter)).send({}).expect(202);
    expect(res.body.data.attributes.filters).toEqual({
      action: ['group_created', 'user_invited'],
    });
    const id = res.body.data.id as string;
    const mail = await waitFor('the viewer export mail', () => smtp.forExport(id)[0]);
    expect(mail.subject).toBe(EXPORT_READY_SUBJECT);
    const to = mail.to && 'value' in mail.to ? mail.to.value : [];
    expect(to.map((a) => a.address)).toEqual(['viewer@host.test']);
    const rows = await parseCsv((await download(app, downloadLink(mail)).expect(200)).body);
    const seen = await allEvents(app, exporter, 'acme');
    const all = await allEvents(app, await token(), 'acme');
    // Something was left out, and the CSV is exactly what the token shows.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(all.length);
    expect(rows.slice(1).map((r) => r[11])).toEqual(seen.map((e) => e.id));
  });
});
