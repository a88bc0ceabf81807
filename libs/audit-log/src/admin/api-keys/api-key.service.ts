import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../../audit-log.internal-constants';
import type { AuditPrincipal } from '../../auth/audit-principal.interface';
import { isUlid, ulid } from '../../common/ulid';
import type { AuditLocation } from '../../event/audit-event.interface';
import { AuditService } from '../../recording/audit.service';
import { API_KEYS_TABLE } from '../../store/migrations/1768000000000-api-keys';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from '../audit-admin.module-definition';
import { apiKeyId, apiKeyMatches, newApiKey } from './api-key-secret';

/** What an org API key may do (docs/api.md, API keys). */
export const API_KEY_SCOPES = ['events:read', 'events:write', 'exports'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The role an API key holds in its org: enough for `write`, never `org-admin`. */
export const API_KEY_ROLE = 'api-key';

/** Longest life of a key, in days. */
export const API_KEY_MAX_DAYS = 365;
/** Most keys an org holds that are neither revoked nor expired. */
export const API_KEY_MAX_ACTIVE = 100;

// `last_used_at` is written at most this often per key: a poller's every request would
// otherwise be a write.
const LAST_USED_GRANULARITY_MS = 60_000;
// A revoked key still in use (a forgotten cron job) is recorded once a minute per key and
// process, not on each request: the refusal is what matters, and the log must not flood.
const REVOKED_USE_EVERY_MS = 60_000;

interface ApiKeyRow {
  id: string;
  org_id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_by: string;
  created_by_name: string | null;
  created_by_email: string | null;
  created_at: number | string;
  expires_at: number | string;
  revoked_at: number | string | null;
  revoked_by: string | null;
  last_used_at: number | string | null;
}

/** A key as listed: never its secret nor its hash. */
export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  scopes: ApiKeyScope[];
  createdBy: { id: string; name?: string };
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  status: 'active' | 'expired' | 'revoked';
}

/** Why a credential that looks like an API key was refused (the 401's words). */
export class ApiKeyRefused extends Error {}

/**
 * Org API keys: created by an org admin with a name, scopes and an expiry; shown once; stored as
 * a SHA-256; looked up on every request by primary key, with no cache, so that revoking one or
 * its expiry takes effect at once in every process sharing the database. Creating and revoking
 * a key, and a revoked key's use, are activities of the org.
 */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger('AuditLog');
  private readonly revokedUseRecorded = new Map<string, number>();

  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
    private readonly audit: AuditService,
  ) {}

  private now(): number {
    return this.options.clock.now().getTime();
  }

  /**
   * Creates a key for `orgId`; resolves with it and its secret, which is not kept anywhere.
   * The key and its `api_key_created` activity commit together.
   */
  async create(
    orgId: string,
    input: { name: string; scopes: ApiKeyScope[]; expiresInDays: number },
    creator: AuditPrincipal,
    location: AuditLocation,
  ): Promise<{ key: ApiKey; secret: string } | { tooMany: true }> {
    const now = this.now();
    const id = ulid(now);
    const { secret, hash } = newApiKey(id);
    const expiresAt = now + input.expiresInDays * 86_400_000;
    const scopes = [...new Set(input.scopes)].sort() as ApiKeyScope[];
    const tooMany = await this.dataSource.transaction(async (manager) => {
      const [{ n }] = await manager.query(
        `SELECT COUNT(*) AS n FROM ${API_KEYS_TABLE} WHERE org_id = ? AND revoked_at IS NULL AND expires_at > ?`,
        [orgId, now],
      );
      if (Number(n) >= API_KEY_MAX_ACTIVE) return true;
      await manager.query(
        `INSERT INTO ${API_KEYS_TABLE} (id, org_id, name, scopes, secret_hash, created_by, created_by_name, created_by_email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          orgId,
          input.name,
          JSON.stringify(scopes),
          hash,
          creator.sub,
          creator.name ?? null,
          creator.email ?? null,
          now,
          expiresAt,
        ],
      );
      await this.audit.record(
        {
          orgId,
          action: 'api_key_created',
          actor: { id: creator.sub, type: 'user', name: creator.name, email: creator.email },
          targets: [{ id, type: 'api_key', name: input.name }],
          location,
          metadata: { scopes, expiresAt: new Date(expiresAt).toISOString() },
        },
        { manager },
      );
      return false;
    });
    if (tooMany) return { tooMany: true };
    const [row] = await this.rows('id = ?', [id]);
    return { key: this.toKey(row, now), secret };
  }

  /** The org's keys, newest first (revoked and expired ones too). */
  async list(orgId: string): Promise<ApiKey[]> {
    const now = this.now();
    return (await this.rows('org_id = ? ORDER BY created_at DESC, id DESC', [orgId])).map((r) =>
      this.toKey(r, now),
    );
  }

  /**
   * Revokes key `id` of `orgId`: from now on it is refused. Null when the org has no such key;
   * revoking a revoked key changes nothing and records nothing.
   */
  async revoke(
    orgId: string,
    id: string,
    by: AuditPrincipal,
    location: AuditLocation,
  ): Promise<ApiKey | null> {
    const now = this.now();
    if (!isUlid(id)) return null;
    const [row] = await this.rows('id = ? AND org_id = ?', [id, orgId]);
    if (!row) return null;
    if (row.revoked_at !== null) return this.toKey(row, now);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE ${API_KEYS_TABLE} SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`,
        [now, by.sub, id],
      );
      await this.audit.record(
        {
          orgId,
          action: 'api_key_revoked',
          actor: { id: by.sub, type: 'user', name: by.name, email: by.email },
          targets: [{ id, type: 'api_key', name: row.name }],
          location,
        },
        { manager },
      );
    });
    const [after] = await this.rows('id = ?', [id]);
    return this.toKey(after, now);
  }

  /**
   * The principal of an API key, or `ApiKeyRefused` saying why not. An unknown key and a wrong
   * secret are refused alike, so that a caller learns nothing about which ids exist.
   */
  async authenticate(credential: string, location: AuditLocation): Promise<AuditPrincipal> {
    const id = apiKeyId(credential);
    const [row] = id ? await this.rows('id = ?', [id]) : [];
    if (!row || !apiKeyMatches(credential, row.secret_hash))
      throw new ApiKeyRefused('The API key is not valid');
    const now = this.now();
    if (row.revoked_at !== null) {
      await this.recordRevokedUse(row, now, location);
      throw new ApiKeyRefused('The API key was revoked');
    }
    if (Number(row.expires_at) <= now) throw new ApiKeyRefused('The API key has expired');
    const lastUsed = row.last_used_at === null ? null : Number(row.last_used_at);
    if (lastUsed === null || now - lastUsed >= LAST_USED_GRANULARITY_MS) {
      await this.dataSource.query(`UPDATE ${API_KEYS_TABLE} SET last_used_at = ? WHERE id = ?`, [
        now,
        row.id,
      ]);
    }
    return {
      sub: `api-key:${row.id}`,
      name: row.name,
      // Exports of a key are mailed to the admin who created it.
      ...(row.created_by_email ? { email: row.created_by_email } : {}),
      orgs: { [row.org_id]: [API_KEY_ROLE] },
      scopes: JSON.parse(row.scopes) as string[],
      apiKey: { id: row.id, orgId: row.org_id },
    };
  }

  private async recordRevokedUse(row: ApiKeyRow, now: number, location: AuditLocation) {
    const last = this.revokedUseRecorded.get(row.id);
    if (last !== undefined && now - last < REVOKED_USE_EVERY_MS) return;
    this.revokedUseRecorded.set(row.id, now);
    try {
      await this.audit.record({
        orgId: row.org_id,
        action: 'revoked_api_key_used',
        actor: { id: `api-key:${row.id}`, type: 'api_key', name: row.name },
        targets: [{ id: row.id, type: 'api_key', name: row.name }],
        location,
        outcome: 'failure',
      });
    } catch (err) {
      // The refusal stands whatever happens to its record (fail-open may buffer it).
      this.logger.warn(`Could not record the use of revoked API key ${row.id}: ${String(err)}`);
    }
  }

  private rows(where: string, params: unknown[]): Promise<ApiKeyRow[]> {
    return this.dataSource.query(`SELECT * FROM ${API_KEYS_TABLE} WHERE ${where}`, params);
  }

  private toKey(r: ApiKeyRow, now: number): ApiKey {
    const date = (v: number | string | null) => (v === null ? null : new Date(Number(v)));
    const expiresAt = new Date(Number(r.expires_at));
    return {
      id: r.id,
      orgId: r.org_id,
      name: r.name,
      scopes: JSON.parse(r.scopes) as ApiKeyScope[],
      createdBy: { id: r.created_by, ...(r.created_by_name ? { name: r.created_by_name } : {}) },
      createdAt: new Date(Number(r.created_at)),
      expiresAt,
      revokedAt: date(r.revoked_at),
      lastUsedAt: date(r.last_used_at),
      status: r.revoked_at !== null ? 'revoked' : expiresAt.getTime() <= now ? 'expired' : 'active',
    };
  }
}
