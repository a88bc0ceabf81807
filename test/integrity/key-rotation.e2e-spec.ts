import { createAuditLog, keyIdOf, parsePublicKey } from '@auditkit/nestjs';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { ed25519Pem } from './support/integrity-fixture';

// Rotating the signing key: checkpoints signed with the old key stay verifiable under its id,
// as long as its public key stays configured.

describe('signing key rotation', () => {
  let db: TestDatabase;
  const oldKey = ed25519Pem();
  const newKey = ed25519Pem();

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await db?.drop();
  });

  const open = (signingKey: string, previousPublicKeys: string[] = []) =>
    createAuditLog({
      databaseUrl: db.url,
      integrity: { signingKey, previousPublicKeys, schedule: false },
    });

  it('keeps old checkpoints verifiable under their key id after a rotation', async () => {
    const before = await open(oldKey.privateKey);
    for (let i = 0; i < 3; i++) await before.service.record(groupCreated('acme', `a${i}`));
    const old = await before.integrity.checkpoint('acme');
    await before.close();

    const after = await open(newKey.privateKey, [oldKey.publicKey]);
    try {
      expect(after.integrity.keys!.published().map((k) => [k.kid, k.current])).toEqual([
        [keyIdOf(parsePublicKey(newKey.publicKey)), true],
        [old.keyId, false],
      ]);
      await after.service.record(groupCreated('acme', 'b'));
      const fresh = await after.integrity.checkpoint('acme');
      expect(fresh.keyId).not.toBe(old.keyId);
      expect(await after.integrity.verify('acme')).toMatchObject({
        ok: true,
        verifiedThrough: { seq: 4, keyId: fresh.keyId },
      });
    } finally {
      await after.close();
    }

    // Dropping the old public key makes its checkpoints unverifiable, and says so.
    const forgetful = await open(newKey.privateKey);
    try {
      const r = await forgetful.integrity.verify('acme');
      expect(r.ok).toBe(false);
      expect(r.problems).toEqual([
        { seq: 3, reason: `a stored checkpoint is signed with an unknown key (${old.keyId})` },
      ]);
    } finally {
      await forgetful.close();
    }
  });
});
