import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions, keyIdOf, parsePublicKey } from '@auditkit/nestjs';
import { createTestDatabase, DATABASES, TestDatabase } from '../support/databases';

// checkpoint, verify with a witness directory, and keys, as an operator runs them.
const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'admin', 'src', 'cli.js');

describe.each(DATABASES)('auditkit CLI integrity commands on %s', (kind) => {
  let db: TestDatabase;
  let dataDir: string;
  let witnessDir: string;
  let ds: DataSource;

  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        AUDITKIT_JWT_SECRET: 'cli-integrity-secret-0123456789abcdef',
        AUDITKIT_DATA_DIR: dataDir,
        AUDITKIT_WITNESS_DIR: witnessDir,
        ...env,
      },
      encoding: 'utf8',
      timeout: 60000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    dataDir = mkdtempSync(join(tmpdir(), 'auditkit-cli-'));
    witnessDir = mkdtempSync(join(tmpdir(), 'auditkit-witness-'));
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(witnessDir, { recursive: true, force: true });
  });

  it('signs a checkpoint, verifies through it, and finds a rollback against the witness directory', async () => {
    expect(run(['seed', '--org', 'acme', '--events', '40', '--days', '30']).code).toBe(0);
    const none = run(['checkpoint', '--org', 'nobody']);
    expect(none.code).toBe(3);
    expect(none.err).toContain('nobody: no checkpoint: no events are recorded for nobody');

    const cp = run(['checkpoint', '--org', 'acme']);
    expect(cp.code).toBe(0);
    expect(cp.out).toMatch(
      /^acme: checkpoint at seq 40 \(40 events, head [0-9a-f]{64}\) signed at .* by key \S{22}$/m,
    );
    // Handed to the witness directory the environment names.
    expect(readFileSync(join(witnessDir, 'acme.ndjson'), 'utf8').trim().split('\n')).toHaveLength(
      1,
    );

    const ok = run(['verify', '--org', 'acme']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(
      /^acme: intact, 40 events; verified through seq 40, signed at .* by key \S{22}$/m,
    );

    // Someone with the database restores an older copy: the last 10 events, and the checkpoint,
    // are gone from it. Only the witness still knows.
    ds = await new DataSource(auditDataSourceOptions(db.url)).initialize();
    const [row] = await ds.query(
      "SELECT hash FROM auditkit_events WHERE org_id = 'acme' AND seq = 30",
    );
    await ds.query("DELETE FROM auditkit_events WHERE org_id = 'acme' AND seq > 30");
    await ds.query(
      "UPDATE auditkit_org_state SET last_seq = 30, last_hash = ? WHERE org_id = 'acme'",
      [row.hash],
    );
    await ds.query("DELETE FROM auditkit_checkpoints WHERE org_id = 'acme'");
    const blind = run(['verify', '--org', 'acme'], { AUDITKIT_WITNESS_DIR: '' });
    expect(blind.code).toBe(0);
    const caught = run(['verify', '--org', 'acme', '--checkpoints', witnessDir], {
      AUDITKIT_WITNESS_DIR: '',
    });
    expect(caught.code).toBe(3);
    expect(caught.err).toMatch(
      /^acme: BROKEN at seq 31: the log ends at seq 30, but a checkpoint held by file:.* covers seq 40/m,
    );
    const json = run(['verify', '--org', 'acme', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, headSeq: 30, signaturesChecked: true });
  });

  it('prints the public keys the checkpoints verify under', () => {
    const jwks = run(['keys']);
    expect(jwks.code).toBe(0);
    const { keys } = JSON.parse(jwks.out);
    expect(keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', current: true })]);
    const pem = run(['keys', '--pem']);
    expect(pem.out).toContain('-----BEGIN PUBLIC KEY-----');
    expect(keyIdOf(parsePublicKey(pem.out))).toBe(keys[0].kid);
    expect(run(['keys', '--nope']).code).toBe(2);
  });
});
