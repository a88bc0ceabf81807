import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { EVENTS_LAYOUT, ORG_STATE_LAYOUT, TERMS_LAYOUT } from './event-table';
import { EXPORTS_TABLE } from './store.constants';

// Column names come from the layout; the TypeORM types stay as they were for hosts that let
// TypeORM read or synchronize these entities (the schema itself is the migrations').
const E = EVENTS_LAYOUT.columns;
const T = TERMS_LAYOUT.columns;
const S = ORG_STATE_LAYOUT.columns;

/** BIGINT columns hold epoch milliseconds and sequence numbers; read them back as numbers. */
const asNumber = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/**
 * One stored activity (`auditkit_events`). The schema comes from the library's migrations; the
 * entity lets hosts query the table with TypeORM. JSON columns hold serialized text.
 */
@Entity({ name: EVENTS_LAYOUT.name })
@Index('idx_auditkit_events_org_time', ['orgId', 'occurredAt', 'id'])
@Index('idx_auditkit_events_org_action_time', ['orgId', 'action', 'occurredAt', 'id'])
@Index('idx_auditkit_events_org_actor_time', ['orgId', 'actorId', 'occurredAt', 'id'])
@Index('idx_auditkit_events_org_country_time', ['orgId', 'countryName', 'occurredAt', 'id'])
@Index('idx_auditkit_events_org_city_time', ['orgId', 'city', 'occurredAt', 'id'])
@Index('uq_auditkit_events_org_seq', ['orgId', 'seq'], { unique: true })
export class AuditEventEntity {
  @PrimaryColumn({ name: E.id.column, type: 'varchar', length: 26 }) id!: string;
  @Column({ name: E.orgId.column, type: 'varchar', length: 64 }) orgId!: string;
  @Column({ name: E.seq.column, type: 'bigint', transformer: asNumber }) seq!: number;
  @Column({ name: E.occurredAt.column, type: 'bigint', transformer: asNumber }) occurredAt!: number;
  @Column({ name: E.recordedAt.column, type: 'bigint', transformer: asNumber }) recordedAt!: number;
  @Column({ name: E.action.column, type: 'varchar', length: 128 }) action!: string;
  @Column({ name: E.category.column, type: 'varchar', length: 128 }) category!: string;
  @Column({ name: E.actorId.column, type: 'varchar', length: 255 }) actorId!: string;
  @Column({ name: E.actorType.column, type: 'varchar', length: 64 }) actorType!: string;
  @Column({ name: E.actorName.column, type: 'varchar', length: 1024, nullable: true }) actorName!:
    string | null;
  @Column({ name: E.actorEmail.column, type: 'varchar', length: 320, nullable: true }) actorEmail!:
    string | null;
  @Column({ name: E.targets.column, type: 'text' }) targets!: string;
  @Column({ name: E.siteId.column, type: 'varchar', length: 255, nullable: true }) siteId!:
    string | null;
  @Column({ name: E.siteName.column, type: 'varchar', length: 1024, nullable: true }) siteName!:
    string | null;
  @Column({ name: E.product.column, type: 'varchar', length: 64, nullable: true }) product!:
    string | null;
  @Column({ name: E.ip.column, type: 'varchar', length: 45, nullable: true }) ip!: string | null;
  @Column({ name: E.userAgent.column, type: 'varchar', length: 1024, nullable: true }) userAgent!:
    string | null;
  @Column({ name: E.outcome.column, type: 'varchar', length: 16 }) outcome!: string;
  @Column({ name: E.metadata.column, type: 'text' }) metadata!: string;
  @Column({ name: E.hash.column, type: 'varchar', length: 64, nullable: true }) hash!:
    string | null;
  /** The hash format (docs/integrity.md); null for format 0. */
  @Column({ name: E.hashV.column, type: 'smallint', nullable: true }) hashV!: number | null;
  /** The salt of the personal-field commitments of format 1. */
  @Column({ name: E.salt.column, type: 'varchar', length: 22, nullable: true }) salt!:
    string | null;
  /** Where the IP is, resolved at record time (the `location` option); outside the hash. */
  @Column({ name: E.countryName.column, type: 'varchar', length: 128, nullable: true })
  countryName!: string | null;
  @Column({ name: E.regionName.column, type: 'varchar', length: 128, nullable: true })
  regionName!: string | null;
  @Column({ name: E.city.column, type: 'varchar', length: 128, nullable: true })
  city!: string | null;
}

/** One exact-term row (`auditkit_event_terms`): a hashed, normalized name or e-mail of an event. */
@Entity({ name: TERMS_LAYOUT.name })
@Index('idx_auditkit_terms_org_time', ['orgId', 'occurredAt'])
export class AuditEventTermEntity {
  @PrimaryColumn({ name: T.orgId.column, type: 'varchar', length: 64 }) orgId!: string;
  @PrimaryColumn({ name: T.term.column, type: 'varchar', length: 32 }) term!: string;
  @PrimaryColumn({ name: T.occurredAt.column, type: 'bigint', transformer: asNumber })
  occurredAt!: number;
  @PrimaryColumn({ name: T.eventId.column, type: 'varchar', length: 26 }) eventId!: string;
}

/** The last `seq` and chain hash per org (`auditkit_org_state`). */
@Entity({ name: ORG_STATE_LAYOUT.name })
export class AuditOrgStateEntity {
  @PrimaryColumn({ name: S.orgId.column, type: 'varchar', length: 64 }) orgId!: string;
  @Column({ name: S.lastSeq.column, type: 'bigint', transformer: asNumber }) lastSeq!: number;
  @Column({ name: S.lastHash.column, type: 'varchar', length: 64, nullable: true }) lastHash!:
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
