import type { CheckpointWitness } from './witness/checkpoint-witness.interface';

/** Options of signed checkpoints (`AuditLogModule.forRoot({ integrity })`). */
export interface AuditIntegrityOptions {
  /**
   * PKCS#8 PEM of the Ed25519 key that signs checkpoints, purge checkpoints and export
   * manifests. Keep it out of the audit database (a secret store, a file of its own). Without
   * it the chain is still written and checked, but nothing is signed, so someone with write
   * access to the database could recompute it.
   * @default none
   */
  signingKey?: string;
  /** SPKI PEMs of retired signing keys: their checkpoints stay verifiable. @default [] */
  previousPublicKeys?: string[];
  /** Sign a checkpoint once an org has this many events since its last one. @default 1000 */
  checkpointEveryEvents?: number;
  /** ...or once its last one is this many minutes old and newer events exist. @default 10 */
  checkpointEveryMinutes?: number;
  /**
   * Where each checkpoint is also handed, outside the database's reach: a
   * `FileCheckpointWitness` on storage the database's owner cannot rewrite, a
   * `WebhookCheckpointWitness`, or your own. @default []
   */
  witnesses?: CheckpointWitness[];
  /** Take scheduled checkpoints in this process. @default true */
  schedule?: boolean;
}

/** The integrity options with defaults filled in. */
export interface ResolvedIntegrityOptions {
  signingKey?: string;
  previousPublicKeys: string[];
  checkpointEveryEvents: number;
  checkpointEveryMinutes: number;
  witnesses: CheckpointWitness[];
  schedule: boolean;
}

/** Resolves and range-checks the integrity options; throws naming the bad option. */
export function resolveIntegrityOptions(o: AuditIntegrityOptions = {}): ResolvedIntegrityOptions {
  const every = o.checkpointEveryEvents ?? 1000;
  if (!Number.isInteger(every) || every < 1 || every > 10_000_000) {
    throw new Error(
      'AuditLogModule: integrity.checkpointEveryEvents must be a whole number from 1 to 10000000',
    );
  }
  const minutes = o.checkpointEveryMinutes ?? 10;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10_080) {
    throw new Error(
      'AuditLogModule: integrity.checkpointEveryMinutes must be a whole number from 1 to 10080',
    );
  }
  if (o.signingKey !== undefined && typeof o.signingKey !== 'string') {
    throw new Error('AuditLogModule: integrity.signingKey must be a PEM string');
  }
  return {
    signingKey: o.signingKey || undefined,
    previousPublicKeys: o.previousPublicKeys ?? [],
    checkpointEveryEvents: every,
    checkpointEveryMinutes: minutes,
    witnesses: o.witnesses ?? [],
    schedule: o.schedule ?? true,
  };
}
