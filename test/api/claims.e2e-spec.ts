import request from 'supertest';
import { DATABASES } from '../support/databases';
import { ApiHarness, startApi, tokenFor } from './api-harness';

describe.each(DATABASES)('token claims on %s', (kind) => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi(kind);
  });

  afterAll(async () => {
    await api?.close();
  });

  const post = async (orgs: Record<string, string[]>) =>
    request(api.server)
      .post('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${await tokenFor(orgs, { scope: 'events:write' })}`)
      .send({ action: 'group_created', actor: { id: 'u-1' } });

  it.each([[['']], [['   ']], [['', '\t']]])(
    'a blank role %j is no role: writing is refused',
    async (roles) => {
      const res = await post({ acme: roles });
      expect(res.status).toBe(403);
      expect(res.body.data).toBeUndefined();
    },
  );

  it('blank roles beside a real one leave the real one; blank ones recorded nothing', async () => {
    expect((await post({ acme: ['', 'site-admin'] })).status).toBe(201);
    const admin = await tokenFor({ acme: ['org-admin'] });
    const res = await request(api.server)
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    // Only the write of the real role above.
    expect(res.body.data).toHaveLength(1);
  });
});
