import { DataSource } from 'typeorm';
import { ORG_STATE_TABLE } from '../store/store.constants';
import { checkedPages, VerifyTuning } from './chain-pages';
import { canonicalize } from './canonical-json';
import { checkpointSignatureValid, SignedCheckpoint } from './checkpoint';
import type { SigningKeys } from './signing-keys';

/** One thing verification found wrong, at the seq where it shows. */
export interface IntegrityProblem {
  seq: number;
  reason: string;
}

/** What checking one org's chain found. */
export interface ChainReport {
  orgId: string;
  /** True only when nothing is wrong. */
  ok: boolean;
  /** Events whose hashes were recomputed. */
  checked: number;
  /** The org's head as its state row gives it when verification started. */
  headSeq: number;
  /**
   * Where the check started: after the last signed purge, or at seq 1. `legacy`: at the first
   * event left by a purge from before checkpoints existed (format-0 events, no checkpoint yet).
   */
  start: { seq: number; purge: SignedCheckpoint | null; legacy?: boolean };
  /** The newest valid checkpoint the chain agrees with. */
  verifiedThrough: SignedCheckpoint | null;
  /** Events after that checkpoint, chained but not yet signed. */
  unsigned: number;
  /** Checkpoints looked at: from the database and from witnesses. */
  checkpoints: { stored: number; witnessed: number };
  /** Whether checkpoint signatures were checked (false when no key is configured). */
  signaturesChecked: boolean;
  /** Problems in seq order (at most `MAX_PROBLEMS`). */
  problems: IntegrityProblem[];
}

const MAX_PROBLEMS = 100;

interface Candidate {
  cp: SignedCheckpoint;
  from: string;
}

/**
 * Checks an org's chain from its last signed purge checkpoint to its head: every event's hash
 * recomputed in its format, every link, every checkpoint's signature, and the chain against
 * every checkpoint (from the database and from witnesses). It only reads, with plain SELECTs
 * in pages, so recording goes on meanwhile; events committed after it started are left for the
 * next run. On MySQL/MariaDB a large org is read and hashed by worker threads, which step back
 * while the calling thread is busy.
 */
export async function verifyChain(
  dataSource: DataSource,
  orgId: string,
  keys: SigningKeys | undefined,
  stored: SignedCheckpoint[],
  witnessed: { cp: SignedCheckpoint; witness: string }[] = [],
  tuning: VerifyTuning = {},
): Promise<ChainReport> {
  const problems: IntegrityProblem[] = [];
  const problem = (seq: number, reason: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ seq, reason });
  };

  // The state first: every event up to its seq had committed when it was read.
  const [state]: { last_seq: string | number; last_hash: string | null }[] = await dataSource.query(
    `SELECT last_seq, last_hash FROM ${ORG_STATE_TABLE} WHERE org_id = ?`,
    [orgId],
  );
  const headSeq = state ? Number(state.last_seq) : 0;

  const valid: Candidate[] = [];
  const check = (cp: SignedCheckpoint, from: string) => {
    const where = from === 'database' ? 'a stored checkpoint' : `a checkpoint from ${from}`;
    if (cp?.org !== orgId)
      return problem(Number(cp?.seq) || 0, `${where} is for another organization`);
    // Without keys nothing can be checked: checkpoints are taken at their word, and the report
    // says the signatures were not checked.
    if (!keys) return void valid.push({ cp, from });
    // Made while no key was configured: vouches for nothing once one is (see `checkpoint()`).
    if (!cp.signature) return;
    const key = keys.publicKey(cp.keyId);
    if (!key) return problem(cp.seq, `${where} is signed with an unknown key (${cp.keyId})`);
    if (!checkpointSignatureValid(cp, key))
      return problem(cp.seq, `${where} has a signature that is not valid (edited, or forged)`);
    valid.push({ cp, from });
  };
  for (const cp of stored) check(cp, 'database');
  // A witness's copy of a checkpoint the database still holds says nothing new.
  const held = new Set(stored.map(sameness));
  for (const w of witnessed) if (!held.has(sameness(w.cp))) check(w.cp, w.witness);

  const purges = valid.filter((c) => c.cp.kind === 'purge' && c.cp.purge);
  const lastPurge = purges.sort((a, b) => b.cp.purge!.throughSeq - a.cp.purge!.throughSeq)[0];
  const startSeq = lastPurge ? lastPurge.cp.purge!.throughSeq + 1 : 1;
  // Checkpoints inside the purged prefix speak of events that are gone by design.
  const bySeq = new Map<number, Candidate[]>();
  for (const c of valid) {
    if (c.cp.seq < startSeq - 1 || (c.cp.seq === startSeq - 1 && c !== lastPurge)) continue;
    bySeq.set(c.cp.seq, [...(bySeq.get(c.cp.seq) ?? []), c]);
  }

  let prevHash: string | null = lastPurge ? lastPurge.cp.head : null;
  // A purge checkpoint of an upgrade from before checkpoints existed cannot name the hash its
  // prefix ended on (those events were gone): the first event left is the chain's anchor.
  const anchorUnknown = !!lastPurge && lastPurge.cp.head === null && startSeq > 1;
  let legacy = false;
  let anchorSeq = -1;
  let prevSeq = startSeq - 1;
  let checked = 0;
  let verifiedThrough: SignedCheckpoint | null = lastPurge?.cp ?? null;
  const agree = (seq: number, hash: string | null) => {
    for (const c of bySeq.get(seq) ?? []) {
      if (c.cp.head === hash) {
        if (!verifiedThrough || c.cp.seq >= verifiedThrough.seq) verifiedThrough = c.cp;
      } else {
        problem(
          seq,
          `the chain differs from the checkpoint signed at ${iso(c.cp.time)}${c.from === 'database' ? '' : ` (held by ${c.from})`}: events up to here were changed and their hashes recomputed`,
        );
      }
    }
  };

  const pages = checkedPages(dataSource, orgId, { seq: prevSeq, hash: prevHash }, headSeq, tuning);
  for await (const page of pages) {
    for (let k = 0; k < page.seq.length; k++) {
      const seq = page.seq[k];
      if (seq !== prevSeq + 1 && checked === 0 && page.format0[k] && valid.length === 0) {
        // Purged by retention before checkpoints existed: the first event left is the anchor,
        // as it was then. The first checkpoint taken seals this start (`IntegrityService`).
        legacy = true;
        anchorSeq = seq;
      } else if (seq !== prevSeq + 1) {
        problem(
          prevSeq + 1,
          prevSeq + 1 === startSeq
            ? lastPurge
              ? `events ${startSeq}..${seq - 1} are missing after the purge through seq ${startSeq - 1}`
              : `events ${startSeq}..${seq - 1} are missing and no signed purge checkpoint accounts for them`
            : `events ${prevSeq + 1}..${seq - 1} are missing`,
        );
      }
      // Checked against the previous row's stored hash where it is the event just before.
      const check = page.check[k];
      if (typeof check === 'string') problem(seq, check);
      else if (
        check === 1 &&
        prevSeq + 1 === seq &&
        !(anchorUnknown && seq === startSeq) &&
        seq !== anchorSeq
      )
        problem(seq, 'the event does not match its hash (edited, forged, or moved)');
      agree(seq, page.hash[k]);
      prevHash = page.hash[k];
      prevSeq = seq;
      checked += 1;
    }
  }
  if (prevSeq < headSeq) {
    problem(
      prevSeq + 1,
      `events ${prevSeq + 1}..${headSeq} are missing (the org's state says the log reaches seq ${headSeq})`,
    );
  } else if (state && headSeq > 0 && state.last_hash !== prevHash) {
    problem(headSeq, "the org's state does not match the hash of its last event");
  }
  for (const c of valid) {
    if (c.cp.seq > headSeq)
      problem(
        headSeq + 1,
        `the log ends at seq ${headSeq}, but ${c.from === 'database' ? 'a stored checkpoint' : `a checkpoint held by ${c.from}`} signed at ${iso(c.cp.time)} covers seq ${c.cp.seq}: the newest events were deleted, or the database was rolled back`,
      );
  }
  problems.sort((a, b) => a.seq - b.seq);
  const through = verifiedThrough as SignedCheckpoint | null;
  return {
    orgId,
    ok: problems.length === 0,
    checked,
    headSeq,
    start: legacy
      ? { seq: anchorSeq, purge: null, legacy: true }
      : { seq: startSeq, purge: lastPurge?.cp ?? null },
    verifiedThrough: through,
    unsigned: Math.max(0, headSeq - (through?.seq ?? (legacy ? anchorSeq : startSeq) - 1)),
    checkpoints: { stored: stored.length, witnessed: witnessed.length },
    signaturesChecked: !!keys,
    problems,
  };
}

function sameness(cp: SignedCheckpoint): string {
  try {
    return canonicalize(cp);
  } catch {
    return JSON.stringify(cp) ?? '';
  }
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Reading and hashing the chain in pages

export type { VerifyTuning };
