import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import {
  auditDataSourceOptions,
  AuditLogModule,
  AuditService,
  IntegrityService,
  SignedCheckpoint,
} from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule, signAuditToken } from '@auditkit/nestjs/admin';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';

// The integrity badge of the log view (issue 9, part 4) against a real MariaDB, a real signing
// key and a real Chromium. Screenshots of each state go to /tmp/ui-shots (not committed).

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const SECRET = 'ui-integrity-secret-ui-integrity-secret-0123';
const SHOTS = '/tmp/ui-shots';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// The library wired as the admin app wires it, plus a signing key: the app's configuration does
// not take one yet, and the badge's "signed" state needs it.
@Module({})
class IntegrityUiModule {
  static forDatabase(databaseUrl: string, signingKey?: string): DynamicModule {
    return {
      module: IntegrityUiModule,
      imports: [
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl,
          integrity: { signingKey, schedule: false },
        }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET }, secret: SECRET }),
      ],
    };
  }
}

describe('integrity badge of the web UI in Chromium', () => {
  let db: TestDatabase;
  let raw: DataSource;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let audit: AuditService;
  let integrity: IntegrityService;
  let signedCheckpoint: SignedCheckpoint;
  const contexts: BrowserContext[] = [];

  /** The app on a port of its own; without a key it signs nothing and checks no signature. */
  const start = async (signingKey?: string) => {
    const started = await NestFactory.create(IntegrityUiModule.forDatabase(db.url, signingKey), {
      bodyParser: false,
      logger: ['error'],
    });
    started.useGlobalFilters(new ApiExceptionFilter());
    const port = await freePort();
    await started.listen(port, '127.0.0.1');
    return { app: started, base: `http://127.0.0.1:${port}` };
  };

  const seed = async (orgId: string, n: number) => {
    for (let i = 0; i < n; i++) await audit.record(groupCreated(orgId, `${orgId}-group-${i}`));
  };

  beforeAll(async () => {
    db = await createTestDatabase('mariadb');
    const signingKey = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    ({ app, base } = await start(signingKey));
    audit = app.get(AuditService);
    integrity = app.get(IntegrityService);
    // A second connection, as someone with write access to the database but no key.
    raw = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(SHOTS, { recursive: true });

    // signed-co: a signed checkpoint at seq 12, then 3 newer events; fresh-co: no checkpoint.
    await seed('signed-co', 12);
    signedCheckpoint = await integrity.checkpoint('signed-co');
    await seed('signed-co', 3);
    await seed('fresh-co', 5);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await raw?.destroy();
    await app?.close();
    await db?.drop();
  });

  /** A signed-in page on `org` (the user administers all of `orgs`); `before` runs before it loads. */
  async function signedIn(
    org: string,
    orgs: string[],
    options: {
      at?: string;
      locale?: string;
      timezoneId?: string;
      before?: (page: Page) => Promise<void>;
    } = {},
  ): Promise<Page> {
    const token = await signAuditToken(
      {
        sub: 'u-1',
        name: 'Jane Doe',
        email: 'jane@acme.test',
        orgs: Object.fromEntries(orgs.map((o) => [o, ['org-admin']])),
      },
      SECRET,
      600,
    );
    const context = await browser.newContext({
      viewport: DESKTOP,
      locale: options.locale ?? 'en-US',
      timezoneId: options.timezoneId ?? 'UTC',
    });
    contexts.push(context);
    const page = await context.newPage();
    await options.before?.(page);
    await page.goto(`${options.at ?? base}/?org=${encodeURIComponent(org)}#token=${token}`);
    return page;
  }

  const badge = (page: Page): Locator => page.locator('#integrity-badge');
  const rows = (page: Page): Locator => page.locator('table tbody tr.event-row');

  /** Waits until the badge no longer says it is checking, and returns its text. */
  async function settled(page: Page): Promise<string> {
    await page.waitForFunction(() => {
      const node = document
        .querySelector('auditkit-log')!
        .shadowRoot!.querySelector('#integrity-badge');
      return node !== null && !node.classList.contains('is-loading');
    });
    return (await badge(page).innerText()).trim();
  }

  /** The check time as the page's locale and time zone write it. */
  const localTime = (page: Page, iso: string) =>
    page.evaluate(
      (t) =>
        new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
          new Date(t),
        ),
      iso,
    );

  async function shoot(page: Page, name: string) {
    await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`) });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SHOTS, `${name}-390.png`) });
    await page.setViewportSize(DESKTOP);
  }

  it('loads after the log, says it is checking meanwhile, then "Verified through seq N, signed at T"', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const integrityAsked = new Promise<void>((resolve) => (asked = resolve));
    const page = await signedIn('signed-co', ['signed-co'], {
      locale: 'de-DE',
      timezoneId: 'Europe/Berlin',
      before: async (p) => {
        p.on('response', (r) => {
          if (r.url().includes('/orgs/signed-co/events?')) order.push('events answered');
        });
        await p.route('**/admin/v1/orgs/*/integrity', async (route) => {
          order.push('integrity asked');
          asked();
          await held;
          await route.continue();
        });
      },
    });

    // The log is there while the check is still held back.
    await rows(page).first().waitFor();
    await expect(rows(page).count()).resolves.toBe(15);
    await page.waitForFunction(
      () =>
        document.querySelector('auditkit-log')!.shadowRoot!.querySelector('#integrity-badge') !==
        null,
    );
    await expect(badge(page).getAttribute('role')).resolves.toBe('status');
    await expect(badge(page).innerText()).resolves.toBe('Checking integrity…');
    await integrityAsked;
    expect(order).toEqual(['events answered', 'integrity asked']);
    await shoot(page, 'checking');
    release();

    const iso = new Date(signedCheckpoint.time).toISOString();
    const when = await localTime(page, iso);
    await expect(settled(page)).resolves.toBe(
      `Verified through seq 12, signed at ${when} · 3 newer events not yet signed`,
    );
    // The locale's own format in the text, the exact time in the tooltip.
    expect(when).toMatch(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
    await expect(badge(page).locator('time').getAttribute('title')).resolves.toBe(iso);
    await expect(badge(page).locator('time').getAttribute('datetime')).resolves.toBe(iso);
    await shoot(page, 'verified');

    // Re-check: a newer checkpoint covers every event, so nothing is left unsigned.
    const newer = await integrity.checkpoint('signed-co');
    await page.getByRole('button', { name: 'Re-check' }).click();
    const newerWhen = await localTime(page, new Date(newer.time).toISOString());
    await expect(settled(page)).resolves.toBe(`Verified through seq 15, signed at ${newerWhen}`);
    // What was checked, and with which key, is in the tooltip.
    const details = await badge(page).getAttribute('title');
    expect(details).toContain('Checked 15 events (seq 1 to 15).');
    expect(details).toContain(`Signed with key ${newer.keyId}.`);
  });

  it('never says "signed" for checkpoints taken without a key, or signatures it could not check', async () => {
    // The same database seen by an app with no signing key, as the admin app runs without one.
    const keyless = await start();
    try {
      const service = keyless.app.get(IntegrityService);
      await seed('keyless-co', 4);
      const cp = await service.checkpoint('keyless-co');
      expect(cp.signature).toBe('');
      const page = await signedIn('keyless-co', ['keyless-co', 'signed-co'], { at: keyless.base });
      await rows(page).first().waitFor();
      await expect(settled(page)).resolves.toBe('Chain intact through seq 4 · not yet signed');
      await expect(badge(page).getAttribute('title')).resolves.toContain(
        'Signatures not checked: no signing key is configured.',
      );
      await page.getByLabel('Organization').selectOption('signed-co');
      await expect(settled(page)).resolves.toBe(
        'Chain intact through seq 15 · signatures not checked',
      );
      await page.close();
    } finally {
      await keyless.app.close();
    }
  });

  it('"Chain intact through seq N · not yet signed" without a checkpoint, and checks again when the org changes', async () => {
    const page = await signedIn('fresh-co', ['fresh-co', 'signed-co']);
    await rows(page).first().waitFor();
    await expect(settled(page)).resolves.toBe('Chain intact through seq 5 · not yet signed');
    await shoot(page, 'unsigned');

    const asked = page.waitForRequest((r) => r.url().includes('/orgs/signed-co/integrity'));
    await page.getByLabel('Organization').selectOption('signed-co');
    await asked;
    await expect(settled(page)).resolves.toMatch(/^Verified through seq 1[25], signed at /);
    await page.getByLabel('Organization').selectOption('fresh-co');
    await expect(settled(page)).resolves.toBe('Chain intact through seq 5 · not yet signed');
  });

  it('warns "Integrity problem at seq N: <reason>" after rows are edited in the database', async () => {
    await seed('tampered-co', 8);
    await integrity.checkpoint('tampered-co');
    const page = await signedIn('tampered-co', ['tampered-co']);
    await expect(settled(page)).resolves.toMatch(/^Verified through seq 8, signed at /);

    for (const seq of [3, 6])
      await raw.query(
        "UPDATE auditkit_events SET actor_name = 'Mallory' WHERE org_id = ? AND seq = ?",
        ['tampered-co', seq],
      );
    const { problems } = await integrity.verify('tampered-co');
    expect(problems.map((p) => p.seq)).toEqual([3, 6]);

    await page.reload();
    await rows(page).first().waitFor();
    await expect(settled(page)).resolves.toBe(
      `Integrity problem at seq 3: ${problems[0].reason} · 1 more problem`,
    );
    await expect(badge(page).getAttribute('class')).resolves.toContain('is-broken');
    // Every problem is one click away, in seq order.
    await page.getByText('Show all problems').click();
    await expect(page.locator('#integrity-problem-list li').allInnerTexts()).resolves.toEqual(
      problems.map((p) => `seq ${p.seq}: ${p.reason}`),
    );
    await expect(rows(page).count()).resolves.toBe(8);
    await shoot(page, 'broken');
  });

  it('keeps the log when the check fails: "Integrity not checked: <detail>", and Re-check tries again', async () => {
    const page = await signedIn('fresh-co', ['fresh-co'], {
      before: async (p) => {
        await p.route('**/admin/v1/orgs/*/integrity', (route) =>
          route.fulfill({
            status: 503,
            headers: { 'Content-Type': 'application/json', 'Retry-After': '5' },
            body: JSON.stringify({
              errors: [
                {
                  status: '503',
                  code: 'service_unavailable',
                  title: 'Service unavailable',
                  detail: 'The audit log is unavailable for a moment. Retry in 5 seconds.',
                },
              ],
            }),
          }),
        );
      },
    });
    await rows(page).first().waitFor();
    await expect(settled(page)).resolves.toBe(
      'Integrity not checked: The audit log is unavailable for a moment. Retry in 5 seconds.',
    );
    await expect(rows(page).count()).resolves.toBe(5);
    await expect(page.locator('#log-error').innerText()).resolves.toBe('');
    await shoot(page, 'error');

    await page.unroute('**/admin/v1/orgs/*/integrity');
    await page.route('**/admin/v1/orgs/*/integrity', (route) => route.abort('connectionrefused'));
    await page.getByRole('button', { name: 'Re-check' }).click();
    await expect(settled(page)).resolves.toBe(
      'Integrity not checked: Could not reach the server. Check your connection and try again.',
    );

    await page.unroute('**/admin/v1/orgs/*/integrity');
    await page.getByRole('button', { name: 'Re-check' }).click();
    await expect(settled(page)).resolves.toBe('Chain intact through seq 5 · not yet signed');
    await expect(rows(page).count()).resolves.toBe(5);
  });
});
