import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { ApiExceptionFilter, signAuditToken } from '@auditkit/nestjs/admin';
import { AdminAppModule } from '../../apps/admin/src/admin-app.module';
import { loadConfig } from '../../apps/admin/src/config';
import { OidcFlow, sealFlow } from '../../libs/audit-log/src/admin/oidc/oidc-flow-cookie';
import { freePort } from '../metrics/scrape';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { OidcTestProvider, startOidcProvider } from '../support/oidc-provider';

const SECRET = 'oidc-sign-in-secret-oidc-sign-in-secret-0123';
const SHOTS = '/tmp/ui-shots';
const CALLBACK = '/admin/v1/session/oidc/callback';

describe('OpenID Connect sign-in of the admin app in production mode, with a real provider', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let provider: OidcTestProvider;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      clientId: 'auditkit',
      clientSecret: 'auditkit-client-secret',
      redirectUri: `${base}${CALLBACK}`,
      postLogoutRedirectUri: `${base}/`,
      accounts: {
        alice: {
          name: 'Alice Admin',
          email: 'alice@acme.test',
          auditkit_orgs: { acme: ['org-admin'] },
        },
        bob: { name: 'Bob Groups', email: 'bob@acme.test', groups: ['acme-audit-admins', 'staff'] },
        carol: {
          name: 'Carol Nobody',
          email: 'carol@acme.test',
          groups: ['staff'],
          auditkit_orgs: { acme: ['viewer'] },
        },
      },
    });
    const dataDir = join(dirname(db.url.slice('sqlite:'.length)), 'oidc-data');
    const keyFile = join(dirname(db.url.slice('sqlite:'.length)), 'signing-key.pem');
    writeFileSync(
      keyFile,
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_SIGNING_KEY_FILE: keyFile,
      AUDITKIT_DATA_DIR: dataDir,
      AUDITKIT_SCHEDULER: 'false',
      AUDITKIT_GEOIP: 'false',
      PORT: String(port),
      PUBLIC_URL: base,
      AUDITKIT_OIDC_ISSUER: provider.issuer,
      AUDITKIT_OIDC_CLIENT_ID: 'auditkit',
      AUDITKIT_OIDC_CLIENT_SECRET: 'auditkit-client-secret',
      AUDITKIT_OIDC_PROVIDER_NAME: 'Test IdP',
      AUDITKIT_OIDC_ROLES_CLAIM: 'auditkit_orgs',
      AUDITKIT_OIDC_GROUPS: JSON.stringify({
        'acme-audit-admins': [{ org: 'acme', role: 'org-admin' }],
      }),
    });
    expect(config.signIn.tokenSignIn).toBe(false);
    app = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: ['error'],
    });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.listen(port, '127.0.0.1');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const writer = await signAuditToken(
      { sub: 'svc', orgs: { acme: ['org-admin'] }, scope: 'events:write' },
      SECRET,
      600,
    );
    await request(app.getHttpServer())
      .post('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${writer}`)
      .send({ action: 'group_created', actor: { id: 'u-9', name: 'Seeded Actor' } })
      .expect(201);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await provider?.stop();
    await db?.drop();
  });

  const http = () => request(app.getHttpServer());

  async function auditkitCookies(context: BrowserContext): Promise<string> {
    return (await context.cookies(base))
      .filter((c) => c.name.startsWith('auditkit_'))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** Fills the provider's development login form (any password). */
  async function loginAtProvider(page: Page, login: string): Promise<void> {
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any-password');
    await page.locator('button[type="submit"]').click();
  }

  /**
   * Runs the flow by plain HTTP (a cookie jar per host) up to the provider's redirect back,
   * which is not followed: the callback's query and the flow cookie, for the test to send.
   */
  async function heldCallback(login: string): Promise<{ query: string; flow: string }> {
    const jar = new Map<string, string>();
    const get = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as object),
          Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return { status: res.status, location: new URL(res.headers.get('location') ?? '', url).href };
    };
    const start = await get(`${base}/admin/v1/session/oidc/login`);
    expect(start.status).toBe(302);
    const flow = `auditkit_oidc_flow=${jar.get('auditkit_oidc_flow')}`;
    jar.clear();
    const interaction = await get(start.location);
    const submitted = await get(interaction.location, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login, password: 'any-password' }).toString(),
    });
    const back = await get(submitted.location);
    const url = new URL(back.location);
    expect(url.pathname).toBe(CALLBACK);
    return { query: url.search, flow };
  }

  function decodeFlow(cookie: string): OidcFlow {
    const payload = cookie.split('=')[1].split('.')[0];
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as OidcFlow;
  }

  it('says what the sign-in page offers: the provider, no pasted token', async () => {
    const res = await http().get('/admin/v1/session/providers').expect(200);
    expect(res.body).toEqual({
      data: {
        tokenSignIn: false,
        oidc: { providerName: 'Test IdP', loginPath: 'admin/v1/session/oidc/login' },
      },
    });
  });

  it('an org admin signs in through the provider, sees the log, signs out there, and the old cookie is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
    await button.waitFor();
    expect(await page.locator('#token-input').isVisible()).toBe(false);
    await page.screenshot({ path: `${SHOTS}/oidc-signin-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/oidc-signin-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    await button.click();
    await loginAtProvider(page, 'alice');
    await page.getByText('Seeded Actor').first().waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === 'auditkit_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Lax');
    expect(cookies.find((c) => c.name === 'auditkit_oidc_id_token')?.httpOnly).toBe(true);
    const captured = await auditkitCookies(context);
    const me = await http().get('/admin/v1/session').set('Cookie', captured).expect(200);
    expect(me.body.data).toEqual({
      sub: 'alice',
      name: 'Alice Admin',
      email: 'alice@acme.test',
      orgs: ['acme'],
    });

    await page.getByRole('button', { name: 'Sign out' }).first().click();
    // RP-initiated logout: the provider asks, then sends the browser back to the UI.
    await page.locator('button[name="logout"]').click();
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    expect((await context.cookies(base)).map((c) => c.name)).not.toContain('auditkit_session');

    await http().get('/admin/v1/session').set('Cookie', captured).expect(401);
    await http().get('/admin/v1/orgs/acme/events').set('Cookie', captured).expect(401);
    // Signed out at the provider too: signing in again asks for the login.
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.locator('input[name="login"]').waitFor();
    await context.close();
  });

  it('a user granted org admin by the groups table signs in', async () => {
    const { query, flow } = await heldCallback('bob');
    const res = await http().get(`${CALLBACK}${query}`).set('Cookie', flow).expect(303);
    const cookie = (res.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .filter((c) => /^auditkit_(session|csrf)=./.test(c))
      .join('; ');
    const me = await http().get('/admin/v1/session').set('Cookie', cookie).expect(200);
    expect(me.body.data.orgs).toEqual(['acme']);
    await http().get('/admin/v1/orgs/acme/events').set('Cookie', cookie).expect(200);
    await http().get('/admin/v1/orgs/other/events').set('Cookie', cookie).expect(403);
  });

  it('a user whose mapping grants no org admin is refused: a clear page, no session, no data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin/v1/session/oidc/login`);
    const answered = page.waitForResponse((r) => r.url().includes(CALLBACK));
    await loginAtProvider(page, 'carol');
    expect((await answered).status()).toBe(403);
    await page.getByRole('heading', { name: 'You need to be an organization admin' }).waitFor();
    expect(await page.content()).not.toContain('Seeded Actor');
    expect((await context.cookies(base)).map((c) => c.name)).not.toContain('auditkit_session');
    await page.screenshot({ path: `${SHOTS}/oidc-refused-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/oidc-refused-390.png`, fullPage: true });
    // The page offers to sign out at the provider, to come back as someone else.
    await page.getByRole('link', { name: 'Sign out of Test IdP' }).click();
    await page.locator('button[name="logout"]').click();
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
    await http()
      .get('/admin/v1/orgs/acme/events')
      .set('Cookie', await auditkitCookies(context))
      .expect(401);
    await context.close();
  });

  it('the refusal is JSON for a script, naming the reason', async () => {
    const { query, flow } = await heldCallback('carol');
    const res = await http()
      .get(`${CALLBACK}${query}`)
      .set('Cookie', flow)
      .set('Accept', 'application/json')
      .expect(403);
    expect(res.body.errors[0]).toMatchObject({ status: '403', code: 'not_org_admin' });
    expect(String(res.headers['set-cookie'])).not.toMatch(/auditkit_session=[^;]/);
  });

  it('refuses a tampered state, a nonce that does not match, a missing flow and a replayed code', async () => {
    const { query, flow } = await heldCallback('alice');
    const params = new URLSearchParams(query);
    const tampered = new URLSearchParams(params);
    tampered.set('state', `${params.get('state')}x`);
    const badState = await http()
      .get(`${CALLBACK}?${tampered.toString()}`)
      .set('Cookie', flow)
      .set('Accept', 'application/json')
      .expect(400);
    expect(badState.body.errors[0].source).toEqual({ parameter: 'state' });

    // No flow cookie (another browser, or a forged link): refused before the code is used.
    await http().get(`${CALLBACK}${query}`).set('Accept', 'application/json').expect(400);
    // A flow cookie edited by hand fails its signature.
    const forged = flow.replace(/\.[^.]+$/, '.AAAA');
    await http().get(`${CALLBACK}${query}`).set('Cookie', forged).expect(400);

    // The right state but another nonce (signed with the app's key): the ID token's nonce differs.
    const real = decodeFlow(flow);
    const otherNonce = sealFlow({ ...real, nonce: 'n'.repeat(43) }, SECRET);
    const badNonce = await http()
      .get(`${CALLBACK}${query}`)
      .set('Cookie', `auditkit_oidc_flow=${otherNonce}`)
      .set('Accept', 'application/json')
      .expect(400);
    expect(badNonce.body.errors[0].detail).toMatch(/nonce/);
    // ...and none at all is no flow.
    const noNonce: Partial<OidcFlow> = { ...real };
    delete noNonce.nonce;
    await http()
      .get(`${CALLBACK}${query}`)
      .set('Cookie', `auditkit_oidc_flow=${sealFlow(noNonce as never, SECRET)}`)
      .expect(400);

    // A fresh code works once; the second use is refused by the provider, as a clean 400.
    const fresh = await heldCallback('alice');
    await http().get(`${CALLBACK}${fresh.query}`).set('Cookie', fresh.flow).expect(303);
    const replay = await http()
      .get(`${CALLBACK}${fresh.query}`)
      .set('Cookie', fresh.flow)
      .set('Accept', 'application/json')
      .expect(400);
    expect(replay.body.errors[0]).toMatchObject({ code: 'oidc_refused' });
    expect(replay.body.errors[0].detail).toMatch(/invalid_grant/);
  });

  it('refuses signing in with a pasted token in production; bearer tokens on the API still work', async () => {
    const token = await signAuditToken({ sub: 'u-1', orgs: { acme: ['org-admin'] } }, SECRET, 600);
    const res = await http()
      .post('/admin/v1/session')
      .set('Authorization', `Bearer ${token}`)
      .expect(403);
    expect(res.body.errors[0]).toMatchObject({ code: 'token_sign_in_disabled' });
    expect(String(res.headers['set-cookie'] ?? '')).not.toContain('auditkit_session');
    await http()
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
  });
});
