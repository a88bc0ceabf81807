import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  AuditIntegrityOptions,
  AuditLogModuleOptions,
  auditDataSourceOptions,
  createAuditLog,
  FileCheckpointWitness,
  StandaloneAuditLog,
  storedEventHash,
} from '@auditkit/nestjs';
import { createTestDatabase, TestDatabase } from '../../support/databases';
import { groupCreated } from '../../support/events';

/** A fresh Ed25519 key pair in PEM, as an operator would configure it. */
export function ed25519Pem(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** An audit log with a signing key and a file witness, and a second connection to tamper with. */
export interface IntegrityFixture {
  db: TestDatabase;
  log: StandaloneAuditLog;
  /** The database as someone with write access but no key sees it. */
  raw: DataSource;
  witnessDir: string;
  key: { privateKey: string; publicKey: string };
  /** Records `n` group_created events one after another; returns their seqs. */
  seed(orgId: string, n: number): Promise<number[]>;
  /** Rewrites every hash from `fromSeq` on, and the org state, as an attacker without the key. */
  recomputeFrom(orgId: string, fromSeq: number): Promise<void>;
  close(): Promise<void>;
}

export async function startIntegrityFixture(
  kind: 'mariadb' | 'sqlite',
  options: Partial<AuditLogModuleOptions> & { integrity?: AuditIntegrityOptions } = {},
): Promise<IntegrityFixture> {
  const db = await createTestDatabase(kind);
  const witnessDir = mkdtempSync(join(tmpdir(), 'auditkit-witness-'));
  const key = ed25519Pem();
  const log = await createAuditLog({
    databaseUrl: db.url,
    ...options,
    integrity: {
      signingKey: key.privateKey,
      schedule: false,
      witnesses: [new FileCheckpointWitness(witnessDir)],
      ...options.integrity,
    },
  });
  const raw = await new DataSource(auditDataSourceOptions(db.url)).initialize();
  return {
    db,
    log,
    raw,
    witnessDir,
    key,
    async seed(orgId, n) {
      const seqs: number[] = [];
      for (let i = 0; i < n; i++)
        seqs.push((await log.service.record(groupCreated(orgId, `g${i}`))).seq);
      return seqs;
    },
    async recomputeFrom(orgId, fromSeq) {
      const [prevRow] = await raw.query(
        'SELECT hash FROM auditkit_events WHERE org_id = ? AND seq = ?',
        [orgId, fromSeq - 1],
      );
      let prev: string | null = prevRow?.hash ?? null;
      const rows = await raw.query(
        'SELECT * FROM auditkit_events WHERE org_id = ? AND seq >= ? ORDER BY seq',
        [orgId, fromSeq],
      );
      for (const row of rows) {
        const { hash } = storedEventHash(row, prev);
        await raw.query('UPDATE auditkit_events SET hash = ? WHERE id = ?', [hash, row.id]);
        prev = hash!;
      }
      await raw.query('UPDATE auditkit_org_state SET last_hash = ? WHERE org_id = ?', [
        prev,
        orgId,
      ]);
    },
    async close() {
      await log.close();
      await raw.destroy();
      await db.drop();
      rmSync(witnessDir, { recursive: true, force: true });
    },
  };
}
