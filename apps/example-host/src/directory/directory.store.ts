import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { isFQDN } from 'class-validator';
import {
  AccountChangeResult,
  DomainView,
  GroupMembershipResult,
  GroupProductAccessResult,
  GroupRenameResult,
  GroupView,
  ORG_SETTINGS,
  OrgSetting,
  OrgView,
  PolicySettings,
  PolicyType,
  PolicyUpdateResult,
  PolicyUsersResult,
  PolicyView,
  Product,
  ProductAccessResult,
  SettingChangeResult,
  SiteAccessResult,
  SiteView,
  TwoStepMethod,
  UserSiteResult,
  UserView,
} from './directory.models';

interface UserRecord {
  id: string;
  orgId: string;
  name: string;
  email: string;
  status: 'invited' | 'active';
  invitedToSiteId: string | null;
  siteIds: Set<string>;
  /** `siteId/product` keys. */
  productAccess: Set<string>;
  twoStepMethod: TwoStepMethod | null;
  /** scrypt `salt:hash`; the password itself is never kept. */
  passwordHash: string | null;
}

interface GroupRecord {
  id: string;
  name: string;
  description: string | null;
  memberIds: Set<string>;
  productAccess: Set<string>;
  adminAccess: Set<string>;
}

interface SiteRecord {
  id: string;
  name: string;
  products: Product[];
}

interface PolicyRecord {
  id: string;
  name: string;
  type: PolicyType;
  settings: PolicySettings;
  userIds: Set<string>;
}

interface OrgRecord {
  id: string;
  name: string;
  createdAt: string;
  settings: Map<string, string>;
  adminIds: Set<string>;
  domains: Map<string, DomainView>;
  users: Map<string, UserRecord>;
  groups: Map<string, GroupRecord>;
  sites: Map<string, SiteRecord>;
  policies: Map<string, PolicyRecord>;
}

/** The org ids the audit log accepts. */
const ORG_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const access = (siteId: string, product: string) => `${siteId}/${product}`;

/**
 * The fields that have a value. DTO instances carry every declared field, unset ones as
 * `undefined`, which is not JSON (the audit log refuses it in metadata).
 */
function defined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
const sameText = (a: string, b: string) =>
  a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();

/**
 * The example host's directory: organizations with their users, groups, sites, products and
 * security policies, kept in memory. Ids are made here (`u-1`, `g-1`, `s-1`, `p-1`); user ids are
 * unique across organizations, so an account can be found from its id alone (`/me` routes).
 * Every change that would not change anything (a second grant, a revoke of nothing) is refused,
 * so that each recorded event stands for a real change.
 */
@Injectable()
export class DirectoryStore {
  private readonly orgs = new Map<string, OrgRecord>();
  /** user id → org id. */
  private readonly accounts = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  // ---- organizations

  /** Creates the organization with `owner` as its first admin; returns it as it is if it exists. */
  ensureOrg(
    orgId: string,
    name: string,
    owner: { id: string; name: string; email: string },
  ): OrgView {
    if (!ORG_ID.test(orgId)) {
      throw new BadRequestException([
        'orgId may hold only letters, digits, ".", "_" and "-" (64 at most)',
      ]);
    }
    const existing = this.orgs.get(orgId);
    if (existing) return this.orgView(existing);
    const ownerOrg = this.accounts.get(owner.id);
    if (ownerOrg)
      throw new ConflictException(
        `User ${owner.id} is already managed by organization ${ownerOrg}`,
      );
    const org: OrgRecord = {
      id: orgId,
      name,
      createdAt: new Date().toISOString(),
      settings: new Map([['name', name]]),
      adminIds: new Set([owner.id]),
      domains: new Map(),
      users: new Map(),
      groups: new Map(),
      sites: new Map(),
      policies: new Map(),
    };
    this.orgs.set(orgId, org);
    this.addUser(org, {
      id: owner.id,
      name: owner.name,
      email: owner.email,
      status: 'active',
      siteId: null,
    });
    return this.orgView(org);
  }

  getOrg(orgId: string): OrgView {
    return this.orgView(this.org(orgId));
  }

  changeSetting(orgId: string, setting: string, value: string): SettingChangeResult {
    const org = this.org(orgId);
    if (!(ORG_SETTINGS as readonly string[]).includes(setting)) {
      throw new NotFoundException(
        `No organization setting "${setting}"; one of ${ORG_SETTINGS.join(', ')}`,
      );
    }
    const previousValue = org.settings.get(setting) ?? null;
    if (previousValue === value)
      throw new ConflictException(`The setting ${setting} already has this value`);
    org.settings.set(setting, value);
    if (setting === 'name') org.name = value;
    return { org: this.orgView(org), setting: setting as OrgSetting, previousValue, value };
  }

  verifyDomain(orgId: string, domain: string): DomainView {
    const org = this.org(orgId);
    const name = domain.toLowerCase();
    if (name.length > 253 || !isFQDN(name, { require_tld: true })) {
      throw new BadRequestException(['domain must be a fully qualified domain name']);
    }
    const view: DomainView = { domain: name, verified: true, verifiedAt: new Date().toISOString() };
    org.domains.set(name, view);
    return { ...view };
  }

  listDomains(orgId: string): DomainView[] {
    return [...this.org(orgId).domains.values()].map((d) => ({ ...d }));
  }

  grantOrgAdmin(orgId: string, userId: string): UserView {
    const org = this.org(orgId);
    const user = this.user(org, userId);
    if (org.adminIds.has(userId))
      throw new ConflictException(`${userId} is already an organization admin`);
    org.adminIds.add(userId);
    return this.userView(org, user);
  }

  revokeOrgAdmin(orgId: string, userId: string): UserView {
    const org = this.org(orgId);
    const user = this.user(org, userId);
    if (!org.adminIds.has(userId))
      throw new NotFoundException(`${userId} is not an organization admin`);
    if (org.adminIds.size === 1)
      throw new ConflictException('An organization keeps at least one admin');
    org.adminIds.delete(userId);
    return this.userView(org, user);
  }

  // ---- sites and users

  createSite(orgId: string, name: string, products: Product[]): SiteView {
    const org = this.org(orgId);
    if ([...org.sites.values()].some((s) => sameText(s.name, name))) {
      throw new ConflictException(`A site named ${name} exists`);
    }
    const site: SiteRecord = {
      id: this.nextId('s', (id) => org.sites.has(id)),
      name,
      products: [...products],
    };
    org.sites.set(site.id, site);
    return this.siteView(org, site);
  }

  listSites(orgId: string): SiteView[] {
    const org = this.org(orgId);
    return [...org.sites.values()].map((s) => this.siteView(org, s));
  }

  listUsers(orgId: string): UserView[] {
    const org = this.org(orgId);
    return [...org.users.values()].map((u) => this.userView(org, u));
  }

  /** The account of a user id in whichever organization manages it. */
  findAccount(userId: string): UserView | undefined {
    const orgId = this.accounts.get(userId);
    const org = orgId ? this.orgs.get(orgId) : undefined;
    const user = org?.users.get(userId);
    return org && user ? this.userView(org, user) : undefined;
  }

  inviteUser(
    orgId: string,
    input: { email: string; name?: string; siteId: string },
  ): UserSiteResult {
    const org = this.org(orgId);
    const site = this.site(org, input.siteId);
    if ([...org.users.values()].some((u) => sameText(u.email, input.email))) {
      throw new ConflictException(`${input.email} is already a user of this organization`);
    }
    const name = input.name ?? input.email.slice(0, input.email.lastIndexOf('@'));
    const user = this.addUser(org, {
      email: input.email,
      name,
      status: 'invited',
      siteId: site.id,
    });
    return { user: this.userView(org, user), site: this.siteView(org, site) };
  }

  /** Removes the user from the organization: its sites, groups, policies and admin rights. */
  removeUser(orgId: string, userId: string): UserSiteResult {
    const org = this.org(orgId);
    const user = this.user(org, userId);
    if (org.adminIds.has(userId) && org.adminIds.size === 1) {
      throw new ConflictException('The last organization admin cannot be removed');
    }
    const view = this.userView(org, user);
    const siteId = user.invitedToSiteId ?? [...user.siteIds][0];
    const site = siteId ? org.sites.get(siteId) : undefined;
    org.adminIds.delete(userId);
    for (const g of org.groups.values()) g.memberIds.delete(userId);
    for (const p of org.policies.values()) p.userIds.delete(userId);
    org.users.delete(userId);
    this.accounts.delete(userId);
    return {
      user: { ...view, siteIds: [], orgAdmin: false },
      site: site ? this.siteView(org, site) : null,
    };
  }

  grantSiteAccess(orgId: string, siteId: string, userId: string): SiteAccessResult {
    const org = this.org(orgId);
    const site = this.site(org, siteId);
    const user = this.user(org, userId);
    if (user.siteIds.has(siteId))
      throw new ConflictException(`${userId} already has access to ${site.name}`);
    user.siteIds.add(siteId);
    return { user: this.userView(org, user), site: this.siteView(org, site) };
  }

  /** Revokes the user's access to the site and to its products. */
  revokeSiteAccess(orgId: string, siteId: string, userId: string): SiteAccessResult {
    const org = this.org(orgId);
    const site = this.site(org, siteId);
    const user = this.user(org, userId);
    if (!user.siteIds.has(siteId))
      throw new NotFoundException(`${userId} has no access to ${site.name}`);
    user.siteIds.delete(siteId);
    for (const p of site.products) user.productAccess.delete(access(siteId, p));
    return { user: this.userView(org, user), site: this.siteView(org, site) };
  }

  grantProductAccess(
    orgId: string,
    siteId: string,
    product: string,
    userId: string,
  ): ProductAccessResult {
    const org = this.org(orgId);
    const site = this.site(org, siteId);
    const p = this.product(site, product);
    const user = this.user(org, userId);
    if (!user.siteIds.has(siteId))
      throw new ConflictException(`${userId} needs access to ${site.name} first`);
    if (user.productAccess.has(access(siteId, p))) {
      throw new ConflictException(`${userId} already has access to ${p} on ${site.name}`);
    }
    user.productAccess.add(access(siteId, p));
    return { user: this.userView(org, user), site: this.siteView(org, site), product: p };
  }

  revokeProductAccess(
    orgId: string,
    siteId: string,
    product: string,
    userId: string,
  ): ProductAccessResult {
    const org = this.org(orgId);
    const site = this.site(org, siteId);
    const p = this.product(site, product);
    const user = this.user(org, userId);
    if (!user.productAccess.delete(access(siteId, p))) {
      throw new NotFoundException(`${userId} has no access to ${p} on ${site.name}`);
    }
    return { user: this.userView(org, user), site: this.siteView(org, site), product: p };
  }

  // ---- groups

  listGroups(orgId: string): GroupView[] {
    const org = this.org(orgId);
    return [...org.groups.values()].map((g) => this.groupView(org, g));
  }

  createGroup(orgId: string, name: string, description?: string): GroupView {
    const org = this.org(orgId);
    this.assertGroupNameFree(org, name);
    const group: GroupRecord = {
      id: this.nextId('g', (id) => org.groups.has(id)),
      name,
      description: description ?? null,
      memberIds: new Set(),
      productAccess: new Set(),
      adminAccess: new Set(),
    };
    org.groups.set(group.id, group);
    return this.groupView(org, group);
  }

  renameGroup(orgId: string, groupId: string, name: string): GroupRenameResult {
    const org = this.org(orgId);
    const group = this.group(org, groupId);
    if (group.name === name) throw new ConflictException(`The group is already named ${name}`);
    if (!sameText(group.name, name)) this.assertGroupNameFree(org, name);
    const previousName = group.name;
    group.name = name;
    return { group: this.groupView(org, group), previousName };
  }

  deleteGroup(orgId: string, groupId: string): GroupView {
    const org = this.org(orgId);
    const group = this.group(org, groupId);
    org.groups.delete(groupId);
    return this.groupView(org, group);
  }

  addGroupMember(orgId: string, groupId: string, userId: string): GroupMembershipResult {
    const org = this.org(orgId);
    const group = this.group(org, groupId);
    const user = this.user(org, userId);
    if (group.memberIds.has(userId))
      throw new ConflictException(`${userId} is already in ${group.name}`);
    group.memberIds.add(userId);
    return { group: this.groupView(org, group), user: this.userView(org, user) };
  }

  removeGroupMember(orgId: string, groupId: string, userId: string): GroupMembershipResult {
    const org = this.org(orgId);
    const group = this.group(org, groupId);
    const user = this.user(org, userId);
    if (!group.memberIds.delete(userId))
      throw new NotFoundException(`${userId} is not in ${group.name}`);
    return { group: this.groupView(org, group), user: this.userView(org, user) };
  }

  grantGroupProductAccess(
    orgId: string,
    siteId: string,
    product: string,
    groupId: string,
    role: 'user' | 'admin',
  ): GroupProductAccessResult {
    const org = this.org(orgId);
    const site = this.site(org, siteId);
    const p = this.product(site, product);
    const group = this.group(org, groupId);
    const set = role === 'admin' ? group.adminAccess : group.productAccess;
    if (set.has(access(siteId, p))) {
      throw new ConflictException(
        `${group.name} already has ${role} access to ${p} on ${site.name}`,
      );
    }
    set.add(access(siteId, p));
    return { group: this.groupView(org, group), site: this.siteView(org, site), product: p, role };
  }

  revokeGroupProductAccess(
    orgId: string,
    siteId: string,
    product: string,
    groupId: string,
    role: 'user' | 'admin',
  ): GroupProductAccessResult {
    const org = this.org(orgId);
    const site = this.site(org, siteId);
    const p = this.product(site, product);
    const group = this.group(org, groupId);
    const set = role === 'admin' ? group.adminAccess : group.productAccess;
    if (!set.delete(access(siteId, p))) {
      throw new NotFoundException(`${group.name} has no ${role} access to ${p} on ${site.name}`);
    }
    return { group: this.groupView(org, group), site: this.siteView(org, site), product: p, role };
  }

  // ---- security policies

  listPolicies(orgId: string): PolicyView[] {
    const org = this.org(orgId);
    return [...org.policies.values()].map((p) => this.policyView(org, p));
  }

  createPolicy(
    orgId: string,
    input: { name: string; type: PolicyType; settings?: PolicySettings },
  ): PolicyView {
    const org = this.org(orgId);
    if ([...org.policies.values()].some((p) => sameText(p.name, input.name))) {
      throw new ConflictException(`A policy named ${input.name} exists`);
    }
    const policy: PolicyRecord = {
      id: this.nextId('p', (id) => org.policies.has(id)),
      name: input.name,
      type: input.type,
      settings: defined(input.settings),
      userIds: new Set(),
    };
    org.policies.set(policy.id, policy);
    return this.policyView(org, policy);
  }

  updatePolicy(
    orgId: string,
    policyId: string,
    input: { name?: string; settings?: PolicySettings },
  ): PolicyUpdateResult {
    const org = this.org(orgId);
    const policy = this.policy(org, policyId);
    const changed: string[] = [];
    if (input.name !== undefined && input.name !== policy.name) {
      if ([...org.policies.values()].some((p) => p !== policy && sameText(p.name, input.name!))) {
        throw new ConflictException(`A policy named ${input.name} exists`);
      }
      policy.name = input.name;
      changed.push('name');
    }
    for (const [key, value] of Object.entries(input.settings ?? {}) as [
      keyof PolicySettings,
      never,
    ][]) {
      if (value === undefined || policy.settings[key] === value) continue;
      policy.settings[key] = value;
      changed.push(`settings.${key}`);
    }
    if (changed.length === 0) throw new ConflictException('Nothing to change');
    return { policy: this.policyView(org, policy), changed };
  }

  deletePolicy(orgId: string, policyId: string): PolicyView {
    const org = this.org(orgId);
    const policy = this.policy(org, policyId);
    org.policies.delete(policyId);
    return this.policyView(org, policy);
  }

  /** Adds the users not yet in the policy; the result names only those. */
  addPolicyUsers(orgId: string, policyId: string, userIds: string[]): PolicyUsersResult {
    const org = this.org(orgId);
    const policy = this.policy(org, policyId);
    const users = userIds.map((id) => this.user(org, id)).filter((u) => !policy.userIds.has(u.id));
    if (users.length === 0)
      throw new ConflictException('Every user named is already in the policy');
    for (const u of users) policy.userIds.add(u.id);
    return { policy: this.policyView(org, policy), users: users.map((u) => this.userView(org, u)) };
  }

  /** Removes the users that are in the policy; the result names only those. */
  removePolicyUsers(orgId: string, policyId: string, userIds: string[]): PolicyUsersResult {
    const org = this.org(orgId);
    const policy = this.policy(org, policyId);
    const users = userIds.map((id) => this.user(org, id)).filter((u) => policy.userIds.has(u.id));
    if (users.length === 0) throw new NotFoundException('None of the users named is in the policy');
    for (const u of users) policy.userIds.delete(u.id);
    return { policy: this.policyView(org, policy), users: users.map((u) => this.userView(org, u)) };
  }

  // ---- a user's own account

  changeEmail(userId: string, email: string): AccountChangeResult {
    const [org, user] = this.account(userId);
    if (user.email === email) throw new ConflictException('This is already your e-mail address');
    if ([...org.users.values()].some((u) => u !== user && sameText(u.email, email))) {
      throw new ConflictException(`${email} belongs to another user`);
    }
    const previous = user.email;
    user.email = email;
    return { user: this.userView(org, user), previous };
  }

  changeName(userId: string, name: string): AccountChangeResult {
    const [org, user] = this.account(userId);
    if (user.name === name) throw new ConflictException('This is already your name');
    const previous = user.name;
    user.name = name;
    return { user: this.userView(org, user), previous };
  }

  /** Keeps only a salted scrypt hash; the current password is checked once one is set. */
  changePassword(
    userId: string,
    currentPassword: string | undefined,
    newPassword: string,
  ): AccountChangeResult {
    const [org, user] = this.account(userId);
    if (user.passwordHash !== null) {
      if (currentPassword === undefined || !verifyPassword(currentPassword, user.passwordHash)) {
        throw new ForbiddenException('The current password is not correct');
      }
    }
    user.passwordHash = hashPassword(newPassword);
    return { user: this.userView(org, user) };
  }

  /** Turns two-step verification on with `method`, or off with `null`. */
  setTwoStep(userId: string, method: TwoStepMethod | null): AccountChangeResult {
    const [org, user] = this.account(userId);
    if ((user.twoStepMethod !== null) === (method !== null)) {
      throw new ConflictException(`Two-step verification is already ${method ? 'on' : 'off'}`);
    }
    const previous = user.twoStepMethod ?? undefined;
    user.twoStepMethod = method;
    return { user: this.userView(org, user), previous };
  }

  // ---- internals

  private addUser(
    org: OrgRecord,
    input: {
      id?: string;
      name: string;
      email: string;
      status: UserRecord['status'];
      siteId: string | null;
    },
  ): UserRecord {
    const user: UserRecord = {
      id: input.id ?? this.nextId('u', (id) => this.accounts.has(id)),
      orgId: org.id,
      name: input.name,
      email: input.email,
      status: input.status,
      invitedToSiteId: input.siteId,
      siteIds: new Set(input.siteId ? [input.siteId] : []),
      productAccess: new Set(),
      twoStepMethod: null,
      passwordHash: null,
    };
    org.users.set(user.id, user);
    this.accounts.set(user.id, org.id);
    return user;
  }

  private nextId(prefix: string, taken: (id: string) => boolean): string {
    let n = this.counters.get(prefix) ?? 0;
    let id: string;
    do id = `${prefix}-${++n}`;
    while (taken(id));
    this.counters.set(prefix, n);
    return id;
  }

  private assertGroupNameFree(org: OrgRecord, name: string): void {
    if ([...org.groups.values()].some((g) => sameText(g.name, name))) {
      throw new ConflictException(`A group named ${name} exists`);
    }
  }

  private org(orgId: string): OrgRecord {
    const org = this.orgs.get(orgId);
    if (!org) throw new NotFoundException(`No organization ${orgId}`);
    return org;
  }

  private user(org: OrgRecord, userId: string): UserRecord {
    const user = org.users.get(userId);
    if (!user) throw new NotFoundException(`No user ${userId} in organization ${org.id}`);
    return user;
  }

  private account(userId: string): [OrgRecord, UserRecord] {
    const org = this.orgs.get(this.accounts.get(userId) ?? '');
    const user = org?.users.get(userId);
    if (!org || !user) throw new NotFoundException(`No managed account ${userId}`);
    // Acting on one's own account is what turns an invitation into an active account.
    user.status = 'active';
    return [org, user];
  }

  private group(org: OrgRecord, groupId: string): GroupRecord {
    const group = org.groups.get(groupId);
    if (!group) throw new NotFoundException(`No group ${groupId} in organization ${org.id}`);
    return group;
  }

  private site(org: OrgRecord, siteId: string): SiteRecord {
    const site = org.sites.get(siteId);
    if (!site) throw new NotFoundException(`No site ${siteId} in organization ${org.id}`);
    return site;
  }

  private product(site: SiteRecord, product: string): Product {
    const found = site.products.find((p) => p === product);
    if (!found) throw new NotFoundException(`The site ${site.name} has no product ${product}`);
    return found;
  }

  private policy(org: OrgRecord, policyId: string): PolicyRecord {
    const policy = org.policies.get(policyId);
    if (!policy) throw new NotFoundException(`No policy ${policyId} in organization ${org.id}`);
    return policy;
  }

  private orgView(org: OrgRecord): OrgView {
    return {
      id: org.id,
      name: org.name,
      settings: Object.fromEntries(org.settings),
      adminIds: [...org.adminIds],
      createdAt: org.createdAt,
    };
  }

  private userView(org: OrgRecord, u: UserRecord): UserView {
    return {
      id: u.id,
      orgId: org.id,
      name: u.name,
      email: u.email,
      status: u.status,
      siteIds: [...u.siteIds],
      orgAdmin: org.adminIds.has(u.id),
      twoStepEnabled: u.twoStepMethod !== null,
      twoStepMethod: u.twoStepMethod,
    };
  }

  private groupView(org: OrgRecord, g: GroupRecord): GroupView {
    return {
      id: g.id,
      orgId: org.id,
      name: g.name,
      description: g.description,
      memberIds: [...g.memberIds],
    };
  }

  private siteView(org: OrgRecord, s: SiteRecord): SiteView {
    return { id: s.id, orgId: org.id, name: s.name, products: [...s.products] };
  }

  private policyView(org: OrgRecord, p: PolicyRecord): PolicyView {
    return {
      id: p.id,
      orgId: org.id,
      name: p.name,
      type: p.type,
      settings: { ...p.settings },
      userIds: [...p.userIds],
    };
  }
}

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('base64')}:${scryptSync(password, salt, 32).toString('base64')}`;
}

function verifyPassword(password: string, stored: string): boolean {
  const [salt, hash] = stored.split(':');
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}
