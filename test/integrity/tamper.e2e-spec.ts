import {
  ChainReport,
  FileCheckpointWitness,
  signCheckpoint,
  SignedCheckpoint,
  SigningKeys,
} from '@auditkit/nestjs';
import { DATABASES } from '../support/databases';
import { ed25519Pem, IntegrityFixture, startIntegrityFixture } from './support/integrity-fixture';

// What verification must catch, each at the right seq with a reason in words, against someone
// who can write to the database but holds no signing key (docs/integrity.md).

describe.each(DATABASES)('verification catches tampering on %s', (kind) => {
  let f: IntegrityFixture;
  let n = 0;
  // Each case gets an org of its own with 11 events, a checkpoint at 11 held by the witness too.
  const freshOrg = async () => {
    const orgId = `org-${++n}`;
    await f.seed(orgId, 11);
    await f.log.integrity.checkpoint(orgId);
    return orgId;
  };
  const verify = (orgId: string) => f.log.integrity.verify(orgId);
  const first = (r: ChainReport) => r.problems[0];
  const del = (orgId: string, where: string, params: unknown[] = []) =>
    f.raw.query(`DELETE FROM auditkit_events WHERE org_id = ? AND ${where}`, [orgId, ...params]);
  const setState = async (orgId: string, seq: number) => {
    const [row] = await f.raw.query(
      'SELECT hash FROM auditkit_events WHERE org_id = ? AND seq = ?',
      [orgId, seq],
    );
    await f.raw.query(
      'UPDATE auditkit_org_state SET last_seq = ?, last_hash = ? WHERE org_id = ?',
      [seq, row.hash, orgId],
    );
  };

  beforeAll(async () => {
    f = await startIntegrityFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('finds an intact chain intact, verified through its signed checkpoint', async () => {
    const orgId = await freshOrg();
    const r = await verify(orgId);
    expect(r).toMatchObject({ ok: true, checked: 11, headSeq: 11, unsigned: 0, problems: [] });
    expect(r.verifiedThrough).toMatchObject({ seq: 11, kind: 'manual' });
    expect(r.signaturesChecked).toBe(true);
  });

  it('a field edited', async () => {
    const orgId = await freshOrg();
    await f.raw.query(
      "UPDATE auditkit_events SET actor_name = 'Mallory' WHERE org_id = ? AND seq = 5",
      [orgId],
    );
    expect(first(await verify(orgId))).toEqual({
      seq: 5,
      reason: expect.stringMatching(/does not match its hash/),
    });
  });

  it('an event deleted from the middle', async () => {
    const orgId = await freshOrg();
    await del(orgId, 'seq = 6');
    expect(first(await verify(orgId))).toEqual({ seq: 6, reason: 'events 6..6 are missing' });
  });

  it('the newest events deleted (truncation), state left as it was', async () => {
    const orgId = await freshOrg();
    await del(orgId, 'seq >= 10');
    const r = await verify(orgId);
    expect(first(r)).toEqual({
      seq: 10,
      reason: expect.stringMatching(/events 10\.\.11 are missing/),
    });
  });

  it('the newest events deleted and the state moved back with them', async () => {
    const orgId = await freshOrg();
    await del(orgId, 'seq >= 10');
    await setState(orgId, 9);
    const r = await verify(orgId);
    expect(r.ok).toBe(false);
    expect(first(r)).toEqual({
      seq: 10,
      reason: expect.stringMatching(/log ends at seq 9, but a stored checkpoint .* covers seq 11/),
    });
  });

  it('the oldest events deleted without a purge checkpoint', async () => {
    const orgId = await freshOrg();
    await del(orgId, 'seq <= 3');
    expect(first(await verify(orgId))).toEqual({
      seq: 1,
      reason: 'events 1..3 are missing and no signed purge checkpoint accounts for them',
    });
  });

  it('a forged event put in place of a real one, its own hash recomputed', async () => {
    const orgId = await freshOrg();
    const [row] = await f.raw.query('SELECT * FROM auditkit_events WHERE org_id = ? AND seq = 6', [
      orgId,
    ]);
    await f.raw.query("UPDATE auditkit_events SET action = 'group_deleted' WHERE id = ?", [row.id]);
    // Only this row is rewritten: the next one still chains to the real event's hash.
    const { storedEventHash } = await import('@auditkit/nestjs');
    const [prev] = await f.raw.query(
      'SELECT hash FROM auditkit_events WHERE org_id = ? AND seq = 5',
      [orgId],
    );
    const [edited] = await f.raw.query('SELECT * FROM auditkit_events WHERE id = ?', [row.id]);
    await f.raw.query('UPDATE auditkit_events SET hash = ? WHERE id = ?', [
      storedEventHash(edited, prev.hash).hash,
      row.id,
    ]);
    expect(first(await verify(orgId))).toEqual({
      seq: 7,
      reason: expect.stringMatching(/does not match its hash/),
    });
  });

  it('two events reordered', async () => {
    const orgId = await freshOrg();
    await f.raw.query('UPDATE auditkit_events SET seq = 1000 WHERE org_id = ? AND seq = 4', [
      orgId,
    ]);
    await f.raw.query('UPDATE auditkit_events SET seq = 4 WHERE org_id = ? AND seq = 5', [orgId]);
    await f.raw.query('UPDATE auditkit_events SET seq = 5 WHERE org_id = ? AND seq = 1000', [
      orgId,
    ]);
    const r = await verify(orgId);
    expect(r.problems.slice(0, 2).map((p) => p.seq)).toEqual([4, 5]);
  });

  it('the whole chain recomputed without the key', async () => {
    const orgId = await freshOrg();
    await f.raw.query(
      "UPDATE auditkit_events SET actor_email = 'eve@evil.test' WHERE org_id = ? AND seq = 3",
      [orgId],
    );
    await f.recomputeFrom(orgId, 3);
    const r = await verify(orgId);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      {
        seq: 11,
        reason: expect.stringMatching(
          /chain differs from the checkpoint signed at .*: events up to here were changed/,
        ),
      },
    ]);
  });

  it('the org state edited', async () => {
    const orgId = await freshOrg();
    await f.raw.query('UPDATE auditkit_org_state SET last_hash = ? WHERE org_id = ?', [
      'f'.repeat(64),
      orgId,
    ]);
    expect(first(await verify(orgId))).toEqual({
      seq: 11,
      reason: "the org's state does not match the hash of its last event",
    });
  });

  it('a checkpoint edited in its table', async () => {
    const orgId = await freshOrg();
    const [row] = await f.raw.query('SELECT body FROM auditkit_checkpoints WHERE org_id = ?', [
      orgId,
    ]);
    const body = JSON.parse(row.body) as SignedCheckpoint;
    await f.raw.query('UPDATE auditkit_checkpoints SET body = ? WHERE org_id = ?', [
      JSON.stringify({ ...body, seq: 9 }),
      orgId,
    ]);
    expect(first(await verify(orgId))).toEqual({
      seq: 9,
      reason: 'a stored checkpoint has a signature that is not valid (edited, or forged)',
    });
  });

  it('the tables rolled back to an older backup, found against the witness', async () => {
    const orgId = await freshOrg();
    // The backup was taken at seq 7: the events after it and the newer checkpoint are gone.
    await del(orgId, 'seq > 7');
    await setState(orgId, 7);
    await f.raw.query('DELETE FROM auditkit_checkpoints WHERE org_id = ?', [orgId]);
    const r = await verify(orgId);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      {
        seq: 8,
        reason: expect.stringMatching(
          /log ends at seq 7, but a checkpoint held by file:.* covers seq 11: .*rolled back/,
        ),
      },
    ]);
    // Without the witness the rollback cannot be seen: that is what the witness is for.
    const blind = new FileCheckpointWitness(`${f.witnessDir}-elsewhere`);
    expect((await blind.read(orgId)).length).toBe(0);
  });

  it('a checkpoint signed with another key, and one for another org', async () => {
    const orgId = await freshOrg();
    const other = new SigningKeys(ed25519Pem().privateKey);
    const latest = (await f.log.integrity.checkpoints.latest(orgId))!;
    const { signature: _s, ...body } = latest;
    void _s;
    const forged = signCheckpoint(
      { ...body, time: body.time + 1, keyId: other.keyId },
      other.privateKey,
    );
    await f.log.integrity.checkpoints.insert(forged);
    // The real key's id on a signature made with another key.
    const impostor = signCheckpoint({ ...body, time: body.time + 2 }, other.privateKey);
    await f.log.integrity.checkpoints.insert(impostor);
    const otherOrg = await freshOrg();
    const foreign = (await f.log.integrity.checkpoints.latest(otherOrg))!;
    await f.raw.query(
      'INSERT INTO auditkit_checkpoints (org_id, seq, kind, signed_at, purge_through, body) VALUES (?, ?, ?, ?, NULL, ?)',
      [orgId, foreign.seq, foreign.kind, foreign.time + 3, JSON.stringify(foreign)],
    );
    const reasons = (await verify(orgId)).problems.map((p) => p.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        `a stored checkpoint is signed with an unknown key (${other.keyId})`,
        'a stored checkpoint has a signature that is not valid (edited, or forged)',
        'a stored checkpoint is for another organization',
      ]),
    );
  });
});
