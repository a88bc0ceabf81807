import { DataSource } from 'typeorm';
import type { SignedCheckpoint } from './checkpoint';
import { dialectOf } from '../store/dialect';
import { ORG_STATE_TABLE } from '../store/store.constants';
import { CHECKPOINTS_TABLE } from './integrity.constants';

interface CheckpointRow {
  body: string;
}

/** The checkpoints table: each signed checkpoint kept as the JSON that was signed. */
export class CheckpointRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a checkpoint. The same head signed twice in the same millisecond (two instances, or a
   * retry) is one checkpoint: the second is dropped, not an error.
   */
  async insert(cp: SignedCheckpoint): Promise<void> {
    const ignore = dialectOf(this.dataSource) === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    await this.dataSource.query(
      `${ignore} INTO ${CHECKPOINTS_TABLE} (org_id, seq, kind, signed_at, purge_through, body) VALUES (?, ?, ?, ?, ?, ?)`,
      [cp.org, cp.seq, cp.kind, cp.time, cp.purge?.throughSeq ?? null, JSON.stringify(cp)],
    );
  }

  /**
   * Every checkpoint stored for an org, oldest seq first. A row whose JSON does not parse is
   * returned as a checkpoint that cannot verify, so that verification reports it.
   */
  async list(orgId: string): Promise<SignedCheckpoint[]> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT body FROM ${CHECKPOINTS_TABLE} WHERE org_id = ? ORDER BY seq, signed_at`,
      [orgId],
    );
    return rows.map((r) => parseCheckpoint(r.body, orgId));
  }

  /** The newest checkpoint of an org (any kind), or undefined. */
  async latest(orgId: string): Promise<SignedCheckpoint | undefined> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT body FROM ${CHECKPOINTS_TABLE} WHERE org_id = ? ORDER BY seq DESC, signed_at DESC LIMIT 1`,
      [orgId],
    );
    return rows.length ? parseCheckpoint(rows[0].body, orgId) : undefined;
  }

  /** The purge checkpoint that removed the most, or undefined. */
  async latestPurge(orgId: string): Promise<SignedCheckpoint | undefined> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT body FROM ${CHECKPOINTS_TABLE} WHERE org_id = ? AND purge_through IS NOT NULL ORDER BY purge_through DESC, signed_at DESC LIMIT 1`,
      [orgId],
    );
    return rows.length ? parseCheckpoint(rows[0].body, orgId) : undefined;
  }

  /**
   * Orgs whose head has moved on since their newest checkpoint by at least `events`, or by any
   * event when that checkpoint is older than `before` (epoch ms), or that have none yet.
   */
  async due(
    events: number,
    before: number,
  ): Promise<{ orgId: string; lastSeq: number; checkpointSeq: number | null }[]> {
    const rows: {
      org_id: string;
      last_seq: string | number;
      cp_seq: string | number | null;
      cp_at: string | number | null;
    }[] = await this.dataSource.query(
      `SELECT s.org_id, s.last_seq, c.cp_seq, c.cp_at FROM ${ORG_STATE_TABLE} s
         LEFT JOIN (SELECT org_id, MAX(seq) AS cp_seq, MAX(signed_at) AS cp_at FROM ${CHECKPOINTS_TABLE} GROUP BY org_id) c
           ON c.org_id = s.org_id
         WHERE s.last_seq > 0 AND (c.cp_seq IS NULL OR s.last_seq - c.cp_seq >= ? OR (s.last_seq > c.cp_seq AND c.cp_at < ?))`,
      [events, before],
    );
    return rows.map((r) => ({
      orgId: r.org_id,
      lastSeq: Number(r.last_seq),
      checkpointSeq: r.cp_seq === null ? null : Number(r.cp_seq),
    }));
  }
}

function parseCheckpoint(body: string, orgId: string): SignedCheckpoint {
  try {
    return JSON.parse(body) as SignedCheckpoint;
  } catch {
    return {
      v: 1,
      org: orgId,
      seq: 0,
      head: null,
      count: 0,
      time: 0,
      keyId: '',
      kind: 'manual',
      signature: '',
    };
  }
}
