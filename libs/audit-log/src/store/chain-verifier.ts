import { DataSource } from 'typeorm';
import { ChainReport, verifyChain, VerifyTuning } from '../integrity/chain-verifier';
import type { SignedCheckpoint } from '../integrity/checkpoint';
import { CheckpointRepository } from '../integrity/checkpoint-repository';
import type { SigningKeys } from '../integrity/signing-keys';

/** The outcome of checking one org's event chain. */
export interface ChainVerification {
  orgId: string;
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first seq where something is wrong. */
  firstBadSeq?: number;
  /** What is wrong there, in words. */
  reason?: string;
  /** Where the chain was checked from: 1, or the seq after the last signed purge. */
  firstSeq?: number;
  /** Everything verification found (docs/integrity.md). */
  report: ChainReport;
}

/**
 * Checks an org's chain with nothing but the database (and, when given, the public keys and
 * checkpoints held by witnesses): every event's hash, every link, and the chain against its
 * checkpoints. Without `keys`, checkpoints are taken at their word; `IntegrityService.verify()`
 * checks their signatures with the module's keys.
 */
export async function verifyEventChain(
  dataSource: DataSource,
  orgId: string,
  options: {
    keys?: SigningKeys;
    witnessed?: { cp: SignedCheckpoint; witness: string }[];
    /** Page size and worker threads (defaults suit large orgs). */
    tuning?: VerifyTuning;
  } = {},
): Promise<ChainVerification> {
  const stored = await new CheckpointRepository(dataSource).list(orgId);
  const report = await verifyChain(
    dataSource,
    orgId,
    options.keys,
    stored,
    options.witnessed,
    options.tuning,
  );
  const first = report.problems[0];
  return {
    orgId,
    ok: report.ok,
    checked: report.checked,
    ...(first ? { firstBadSeq: first.seq, reason: first.reason } : {}),
    firstSeq: report.checked > 0 ? report.start.seq : undefined,
    report,
  };
}
