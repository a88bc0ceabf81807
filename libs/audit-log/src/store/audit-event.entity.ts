import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { EVENTS_TABLE, EXPORTS_TABLE, ORG_STATE_TABLE, TERMS_TABLE } from './store.constants';

/** BIGINT columns hold epoch milliseconds and sequence numbers; read them back as numbers. */
const asNumber = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/**
 * One stored activity (`auditkit_events`). The schema comes from the library's migrations; the
 * entity lets hosts query the table with TypeORM. JSON columns hold serialized text.
 */
@Entity({ name: EVENTS_TABLE })
@Index('idx_auditkit_events_org_time', ['orgId', 'occurredAt', 'id'])
@Index('idx_auditkit_events_org_action_time', ['orgId', 'action', 'occurredAt', 'id'])
@Index('idx_auditkit_events_org_actor_time', ['orgId', 'actorId', 'occurredAt', 'id'])
@Index('uq_auditkit_events_org_seq', ['orgId', 'seq'], { unique: true })
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 26 }) id!: string;
  @Column({ name: 'org_id', type: 'varchar', length: 64 }) orgId!: string;
  @Column({ type: 'bigint', transformer: asNumber }) seq!: number;
  @Column({ name: 'occurred_at', type: 'bigint', transformer: asNumber }) occurredAt!: number;
  @Column({ name: 'recorded_at', type: 'bigint', transformer: asNumber }) recordedAt!: number;
  @Column({ type: 'varchar', length: 128 }) action!: string;
  @Column({ type: 'varchar', length: 128 }) category!: string;
  @Column({ name: 'actor_id', type: 'varchar', length: 255 }) actorId!: string;
  @Column({ name: 'actor_type', type: 'varchar', length: 64 }) actorType!: string;
  @Column({ name: 'actor_name', type: 'varchar', length: 1024, nullable: true }) actorName!:
    string | null;
  @Column({ name: 'actor_email', type: 'varchar', length: 320, nullable: true }) actorEmail!:
    string | null;
  @Column({ type: 'text' }) targets!: string;
  @Column({ name: 'site_id', type: 'varchar', length: 255, nullable: true }) siteId!: string | null;
  @Column({ name: 'site_name', type: 'varchar', length: 1024, nullable: true }) siteName!:
    string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) product!: string | null;
  @Column({ type: 'varchar', length: 45, nullable: true }) ip!: string | null;
  @Column({ name: 'user_agent', type: 'varchar', length: 1024, nullable: true }) userAgent!:
    string | null;
  @Column({ type: 'varchar', length: 16 }) outcome!: string;
  @Column({ type: 'text' }) metadata!: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) hash!: string | null;
  /** The hash format (docs/integrity.md); null for format 0. */
  @Column({ name: 'hash_v', type: 'smallint', nullable: true }) hashV!: number | null;
  /** The salt of the personal-field commitments of format 1. */
  @Column({ type: 'varchar', length: 22, nullable: true }) salt!: string | null;
}

/** One exact-term row (`auditkit_event_terms`): a hashed, normalized name or e-mail of an event. */
@Entity({ name: TERMS_TABLE })
@Index('idx_auditkit_terms_org_time', ['orgId', 'occurredAt'])
export class AuditEventTermEntity {
  @PrimaryColumn({ name: 'org_id', type: 'varchar', length: 64 }) orgId!: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) term!: string;
  @PrimaryColumn({ name: 'occurred_at', type: 'bigint', transformer: asNumber })
  occurredAt!: number;
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 26 }) eventId!: string;
}

/** The last `seq` and chain hash per org (`auditkit_org_state`). */
@Entity({ name: ORG_STATE_TABLE })
export class AuditOrgStateEntity {
  @PrimaryColumn({ name: 'org_id', type: 'varchar', length: 64 }) orgId!: string;
  @Column({ name: 'last_seq', type: 'bigint', transformer: asNumber }) lastSeq!: number;
  @Column({ name: 'last_hash', type: 'varchar', length: 64, nullable: true }) lastHash!:
    string | null;
}

/** A requested CSV export (`auditkit_exports`). */
@Entity({ name: EXPORTS_TABLE })
export class AuditExportEntity {
  @PrimaryColumn({ type: 'varchar', length: 26 }) id!: string;
  @Column({ name: 'org_id', type: 'varchar', length: 64 }) orgId!: string;
  @Column({ type: 'varchar', length: 16 }) status!: string;
  @Column({ type: 'text' }) filters!: string;
  @Column({ name: 'requested_by', type: 'varchar', length: 255 }) requestedBy!: string;
  @Column({ name: 'requester_name', type: 'varchar', length: 1024, nullable: true })
  requesterName!: string | null;
  @Column({ name: 'requester_email', type: 'varchar', length: 320, nullable: true })
  requesterEmail!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: asNumber }) createdAt!: number;
  @Column({ name: 'started_at', type: 'bigint', nullable: true, transformer: asNumber })
  startedAt!: number | null;
  @Column({ name: 'ready_at', type: 'bigint', nullable: true, transformer: asNumber }) readyAt!:
    number | null;
  @Column({ name: 'expires_at', type: 'bigint', nullable: true, transformer: asNumber })
  expiresAt!: number | null;
  @Column({ name: 'row_count', type: 'int', nullable: true }) rowCount!: number | null;
  @Column({ type: 'int', default: 0 }) truncated!: number;
  @Column({ name: 'storage_key', type: 'varchar', length: 255, nullable: true }) storageKey!:
    string | null;
  @Column({ name: 'mailed_at', type: 'bigint', nullable: true, transformer: asNumber }) mailedAt!:
    number | null;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ type: 'text', nullable: true }) error!: string | null;
}

/** Every entity of the library, for a host's `TypeOrmModule.forRoot({ entities })`. */
export const auditLogEntities = [
  AuditEventEntity,
  AuditEventTermEntity,
  AuditOrgStateEntity,
  AuditExportEntity,
];
