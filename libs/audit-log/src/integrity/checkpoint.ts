import { KeyObject, sign, verify } from 'node:crypto';
import { canonicalize } from './canonical-json';

/** Why a checkpoint was taken. */
export type CheckpointKind = 'scheduled' | 'manual' | 'purge' | 'upgrade';

/** What a purge checkpoint says was removed: the chain's prefix up to `throughSeq`. */
export interface PurgeStatement {
  /** The last seq removed; the chain now starts at `throughSeq + 1`. */
  throughSeq: number;
  /** The retention policy that removed it, e.g. "retention 180 days". */
  policy: string;
}

/**
 * A signed statement of an org's chain head: "org X had N events through seq S, the hash at S
 * was H", at a time, under a key. See docs/integrity.md for the exact bytes that are signed.
 */
export interface CheckpointBody {
  v: 1;
  org: string;
  seq: number;
  /** The chain hash at `seq`, or null for an org with no event yet. */
  head: string | null;
  /** Events stored from the chain's start (after purges) through `seq`. */
  count: number;
  /** Epoch ms when it was signed. */
  time: number;
  keyId: string;
  kind: CheckpointKind;
  purge?: PurgeStatement;
}

export interface SignedCheckpoint extends CheckpointBody {
  /** Ed25519 signature, base64url, over `checkpointSigningInput(body)`. */
  signature: string;
}

/** The bytes a checkpoint's signature covers: a domain tag and the body's canonical JSON. */
export function checkpointSigningInput(body: CheckpointBody): Buffer {
  const { v, org, seq, head, count, time, keyId, kind, purge } = body;
  const canonical = canonicalize({ v, org, seq, head, count, time, keyId, kind, purge });
  return Buffer.from(`auditkit.checkpoint.v1\n${canonical}`, 'utf8');
}

/** Signs a checkpoint body with an Ed25519 private key. */
export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): SignedCheckpoint {
  const signature = sign(null, checkpointSigningInput(body), privateKey).toString('base64url');
  return { ...body, signature };
}

/** Whether the checkpoint's signature is valid under the given Ed25519 public key. */
export function checkpointSignatureValid(cp: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(
      null,
      checkpointSigningInput(cp),
      publicKey,
      Buffer.from(cp.signature, 'base64url'),
    );
  } catch {
    return false;
  }
}
