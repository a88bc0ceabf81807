import type { SignedCheckpoint } from '../checkpoint';

/**
 * Somewhere checkpoints are handed to that whoever controls the audit database cannot rewrite:
 * an append-only directory on another volume, an e-mail archive, a webhook into another system.
 * A rollback of the database (a restore from an older backup) is found by comparing the
 * database's chain with the newest checkpoint a witness holds.
 */
export interface CheckpointWitness {
  /** Names the witness in logs and in verification reports. */
  readonly name: string;
  /** Hands one checkpoint over; resolves once the witness has it. */
  publish(checkpoint: SignedCheckpoint): Promise<void>;
  /**
   * The checkpoints the witness holds for an org, oldest first, where it can read them back
   * (a write-only witness such as e-mail leaves this out).
   */
  read?(orgId: string): Promise<SignedCheckpoint[]>;
}
