import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuditPrincipal } from '../../auth/audit-principal.interface';
import { nonBlankRoles } from '../../auth/claims';
import { AuditClock, systemClock } from '../../common/clock';
import { changedRows } from '../../store/changed-rows';
import { placeholders } from '../../store/dialect';
import { ADMIN_SESSIONS_TABLE } from '../../store/migrations/1764100000000-admin-sessions';

/** A session just opened: the id goes into the cookie and is never stored. */
export interface OpenedAdminSession {
  /** The session id: 256 random bits, base64url (43 characters). */
  id: string;
  /** The CSRF token bound to this session (see {@link csrfTokenFor}). */
  csrfToken: string;
  /** When the session ends, in epoch milliseconds. */
  expiresAt: number;
}

/** A session found by its id. */
export interface AdminSession {
  principal: AuditPrincipal;
  /** When the session ends, in epoch milliseconds. */
  expiresAt: number;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const IN_BATCH = 500;

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The CSRF token of a session: an HMAC of a fixed label keyed with the session id. Only the
 * holder of the id (the HttpOnly cookie) can compute it, it does not reveal the id, and a token
 * of another session or one an attacker planted as a cookie never matches.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('auditkit:csrf:v1').digest('base64url');
}

/** Whether `sent` is the CSRF token of `sessionId`, compared in constant time. */
export function isCsrfTokenOf(sessionId: string, sent: string): boolean {
  // As bytes: equal lengths in characters may differ in UTF-8 (timingSafeEqual throws).
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Server-side sessions of the admin UI, in `auditkit_admin_sessions`. A row holds the SHA-256 of
 * the session id (never the id, never the token that opened it), the principal, and an expiry.
 *
 * Every cookie-authenticated request looks its session up by primary key, with no cache: ending
 * a session (sign-out, an admin, the CLI) takes effect at once, in every process sharing the
 * database. Expired rows are swept whenever a session is opened.
 */
export class AdminSessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: AuditClock = systemClock,
  ) {}

  /** Opens a session for `principal` ending at `expiresAt` (epoch ms; must lie ahead). */
  async open(principal: AuditPrincipal, expiresAt: number): Promise<OpenedAdminSession> {
    const now = this.clock.now().getTime();
    await this.sweep(now);
    const id = randomBytes(32).toString('base64url');
    const stored: AuditPrincipal = {
      sub: principal.sub,
      name: principal.name,
      email: principal.email,
      orgs: principal.orgs,
      scopes: principal.scopes,
    };
    await this.dataSource.query(
      `INSERT INTO ${ADMIN_SESSIONS_TABLE} (id_hash, sub_hash, principal, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
      [sha256(id), sha256(principal.sub), JSON.stringify(stored), now, expiresAt],
    );
    return { id, csrfToken: csrfTokenFor(id), expiresAt };
  }

  /** The live session of `id`, or null (unknown, ended, expired, or not a session id at all). */
  async find(id: string): Promise<AdminSession | null> {
    if (!SESSION_ID.test(id)) return null;
    const rows: { principal: string; expires_at: number | string }[] = await this.dataSource.query(
      `SELECT principal, expires_at FROM ${ADMIN_SESSIONS_TABLE} WHERE id_hash = ?`,
      [sha256(id)],
    );
    if (!rows.length) return null;
    const expiresAt = Number(rows[0].expires_at);
    if (expiresAt <= this.clock.now().getTime()) return null;
    try {
      return { principal: JSON.parse(rows[0].principal) as AuditPrincipal, expiresAt };
    } catch {
      return null;
    }
  }

  /** Ends the session `id`. Resolves with whether there was one to end. */
  async end(id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return false;
    return (await this.delete(`id_hash = ?`, [sha256(id)])) > 0;
  }

  /**
   * Ends every session of the user `sub`; with `orgId`, only those that hold a role in that org
   * (what an org admin may end). Resolves with how many were ended.
   */
  async endAllOf(sub: string, orgId?: string): Promise<number> {
    const ids = (await this.rowsOf(sub))
      .filter((row) => orgId === undefined || holdsRoleIn(row.principal, orgId))
      .map((row) => row.id_hash);
    let ended = 0;
    for (let i = 0; i < ids.length; i += IN_BATCH) {
      const batch = ids.slice(i, i + IN_BATCH);
      ended += await this.delete(`id_hash IN (${placeholders(batch.length)})`, batch);
    }
    return ended;
  }

  /** How many live sessions the user `sub` has; with `orgId`, those holding a role in it. */
  async countOf(sub: string, orgId?: string): Promise<number> {
    const now = this.clock.now().getTime();
    return (await this.rowsOf(sub)).filter(
      (row) =>
        Number(row.expires_at) > now && (orgId === undefined || holdsRoleIn(row.principal, orgId)),
    ).length;
  }

  /** Deletes the sessions that ended before `now`. Resolves with how many. */
  async sweep(now: number = this.clock.now().getTime()): Promise<number> {
    return this.delete(`expires_at <= ?`, [now]);
  }

  private rowsOf(
    sub: string,
  ): Promise<{ id_hash: string; principal: string; expires_at: number }[]> {
    return this.dataSource.query(
      `SELECT id_hash, principal, expires_at FROM ${ADMIN_SESSIONS_TABLE} WHERE sub_hash = ?`,
      [sha256(sub)],
    );
  }

  private delete(where: string, params: unknown[]): Promise<number> {
    return changedRows(
      this.dataSource,
      `DELETE FROM ${ADMIN_SESSIONS_TABLE} WHERE ${where}`,
      params,
    );
  }
}

function holdsRoleIn(principalJson: string, orgId: string): boolean {
  try {
    const orgs = (JSON.parse(principalJson) as AuditPrincipal).orgs ?? {};
    return (
      Object.prototype.hasOwnProperty.call(orgs, orgId) &&
      Array.isArray(orgs[orgId]) &&
      nonBlankRoles(orgs[orgId]).length > 0
    );
  } catch {
    // A row that cannot be read grants nothing; it is no one's to keep either.
    return true;
  }
}
