import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AuditLogModule,
  AuditLogModuleOptions,
  ChainReport,
  CheckpointRefusedError,
  FileCheckpointWitness,
  IntegrityService,
  SignedCheckpoint,
  SigningKeys,
} from '@auditkit/nestjs';
import { createPublicKey } from 'node:crypto';
import type { AdminConfig } from '../config';
import { integrityOptions } from '../integrity-config';
import { org, parseOptions, UsageError } from './args';

/** The audit log as the CLI's commands use it: the app's database and keys, no schedule. */
export function cliAuditLogOptions(config: AdminConfig): AuditLogModuleOptions {
  return {
    databaseUrl: config.databaseUrl,
    globalInterceptor: false,
    integrity: integrityOptions(config.integrity, false),
  };
}

async function withIntegrity<T>(
  config: AdminConfig,
  fn: (integrity: IntegrityService) => Promise<T>,
): Promise<T> {
  const context: INestApplicationContext = await NestFactory.createApplicationContext(
    AuditLogModule.forRoot(cliAuditLogOptions(config)),
    { logger: ['error', 'warn'] },
  );
  try {
    return await fn(context.get(IntegrityService));
  } finally {
    await context.close();
  }
}

const at = (cp: SignedCheckpoint) => new Date(cp.time).toISOString();

/** `checkpoint --org X`: signs the org's head now and hands it to the witnesses. */
export async function checkpointCommand(config: AdminConfig, args: string[]): Promise<number> {
  const orgId = org(parseOptions(args, { org: { type: 'string' } }).values.org as string);
  return withIntegrity(config, async (integrity) => {
    try {
      const cp = await integrity.checkpoint(orgId, 'manual');
      console.log(
        `${orgId}: checkpoint at seq ${cp.seq} (${cp.count} events, head ${cp.head}) signed at ${at(cp)} by key ${cp.keyId}`,
      );
      return 0;
    } catch (err) {
      if (!(err instanceof CheckpointRefusedError)) throw err;
      console.error(`${orgId}: no checkpoint: ${err.message}`);
      return 3;
    }
  });
}

function describe(orgId: string, r: ChainReport): string {
  const from = r.start.purge
    ? ` (from seq ${r.start.seq}; seq 1..${r.start.seq - 1} removed under "${r.start.purge.purge?.policy}", signed at ${at(r.start.purge)})`
    : r.start.legacy
      ? ` (from seq ${r.start.seq}; older ones purged by retention before checkpoints existed)`
      : '';
  const through = r.verifiedThrough
    ? `; verified through seq ${r.verifiedThrough.seq}, signed at ${at(r.verifiedThrough)}${r.signaturesChecked ? ` by key ${r.verifiedThrough.keyId}` : ' (signatures not checked)'}`
    : '; no signed checkpoint yet';
  const unsigned = r.unsigned > 0 ? `; ${r.unsigned} newer events not yet signed` : '';
  return `${orgId}: intact, ${r.checked} events${from}${through}${unsigned}`;
}

/**
 * `verify --org X [--checkpoints DIR] [--json]`: the org's chain against its checkpoints, the
 * configured witnesses, and a witness directory given here. Exit 0 only when intact.
 */
export async function verifyCommand(config: AdminConfig, args: string[]): Promise<number> {
  const v = parseOptions(args, {
    org: { type: 'string' },
    checkpoints: { type: 'string' },
    json: { type: 'boolean' },
  }).values;
  const orgId = org(v.org as string);
  const dir = v.checkpoints as string | undefined;
  if (dir === '') throw new UsageError('--checkpoints needs a directory');
  return withIntegrity(config, async (integrity) => {
    const witness = dir ? new FileCheckpointWitness(dir) : undefined;
    const extra = witness
      ? (await witness.read(orgId)).map((cp) => ({ cp, witness: witness.name }))
      : [];
    const report = await integrity.verify(orgId, extra);
    if (v.json) console.log(JSON.stringify(report, null, 2));
    if (report.ok) {
      if (!v.json) console.log(describe(orgId, report));
      return 0;
    }
    const [first, ...more] = report.problems;
    console.error(`${orgId}: BROKEN at seq ${first.seq}: ${first.reason}`);
    for (const p of more) console.error(`  also at seq ${p.seq}: ${p.reason}`);
    return 3;
  });
}

/** `keys [--pem]`: the public keys of the checkpoints, as a JWK set or the current one in PEM. */
export function keysCommand(config: AdminConfig, args: string[]): number {
  const v = parseOptions(args, { pem: { type: 'boolean' } }).values;
  if (v.pem) {
    console.log(
      createPublicKey(config.integrity.signingKey).export({ type: 'spki', format: 'pem' }),
    );
    return 0;
  }
  // Built the same way as the keys endpoint, without opening the database.
  const keys = new SigningKeys(config.integrity.signingKey, config.integrity.previousPublicKeys);
  console.log(JSON.stringify({ keys: keys.published() }, null, 2));
  return 0;
}
