import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUILTIN_ACTIONS } from '@auditkit/nestjs';

/** The built-in actions the audit log records itself: its exports and its org API keys. */
const AUDIT_LOG_ACTIONS = /^(audit_log_|api_key_|revoked_api_key_)/;

/**
 * The built-in actions a host records: all but those the audit log records itself (its export
 * feature and its API keys).
 */
export const HOST_ACTIONS = BUILTIN_ACTIONS.filter((a) => !AUDIT_LOG_ACTIONS.test(a.id));

/** Options of `recordDemoActivity()`. */
export interface DemoActivityOptions {
  /** The organization to create and fill; it must not exist in the example host yet. */
  orgId: string;
  /** How many random activities follow the setup and the tour of every action. @default 150 */
  count?: number;
  /** Seed of the pseudo-random choices: the same seed makes the same story. @default 20261125 */
  seed?: number;
  /**
   * Told before each request, and when the setup and the tour are over: the admin app's demo
   * moves the example host's clock there (`DemoClock`), so that the story spreads over months.
   */
  pace?: { beforeRequest(): void; startActivities(): void };
}

/** What `recordDemoActivity()` did. */
export interface DemoActivitySummary {
  orgId: string;
  /** Recorded activities requested (each answered 2xx, so each recorded one event). */
  requests: number;
  /** How many times each action was recorded. */
  actions: Record<string, number>;
  /** Users, groups and policies of the organization at the end. */
  users: number;
  groups: number;
  policies: number;
}

interface Actor {
  id: string;
  ip: string;
  userAgent: string;
}

interface DemoUser extends Actor {
  name: string;
  originalName: string;
  localPart: string;
  email: string;
  siteIds: Set<string>;
  /** `siteId/product` keys of products granted to the user directly. */
  products: Set<string>;
  password: string | null;
  twoStep: boolean;
  admin: boolean;
  contractor: boolean;
}

interface DemoGroup {
  id: string;
  name: string;
  baseName: string;
  members: Set<string>;
  /** `user|admin:siteId/product` keys. */
  access: Set<string>;
}

interface DemoSite {
  id: string;
  name: string;
  products: string[];
}

interface DemoPolicy {
  id: string;
  name: string;
  users: Set<string>;
  timeout: number;
}

/** mulberry32: small, fast and good enough to make demo data reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE: readonly [name: string, localPart: string, contractor: boolean][] = [
  ['Bob Li', 'bob.li', false],
  ['Ana María Gómez', 'ana.gomez', false],
  ['Oluwaseun Adeyemi', 'seun.adeyemi', false],
  ['陈伟 (Chen Wei)', 'chen.wei', false],
  ['Priya Natarajan', 'priya.natarajan', false],
  ['Sven Øberg', 'sven.oberg', false],
  ['Fatima Al-Zahra', 'fatima.alzahra', false],
  // Names that break naive CSV writers, HTML templates and log lines.
  ['Zoë "Zed" O\'Neil 😀\nSupport desk', 'zoe.oneil', true],
  ['=HYPERLINK("https://evil.test","Sam Formula")', 'sam.formula', true],
  ['Tomás Kowalski', 'tomas.kowalski', true],
  ['Aiko Tanaka', 'aiko.tanaka', false],
  ['Grace Hopper', 'grace.hopper', false],
];
const FIRST_NAMES = [
  'Lena',
  'Marco',
  'Yusuf',
  'Ingrid',
  'Kofi',
  'Mei',
  'Rahul',
  'Elif',
  'Noah',
  'Amara',
];
const LAST_NAMES = [
  'Schmidt',
  'Rossi',
  'Demir',
  'Larsen',
  'Mensah',
  'Lin',
  'Gupta',
  'Yılmaz',
  'Novak',
  'Okafor',
];
const PRONOUNS = ['she/her', 'he/him', 'they/them'];
const LANGUAGES = ['en-GB', 'en-US', 'de-DE', 'ja-JP', 'pt-BR', 'fr-FR'];
const TIMEOUTS = [30, 60, 240, 480, 720];
const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36',
  'atlassian-admin-cli/2.4.1 node/20.18.0',
];
/** Documentation address ranges (RFC 5737, RFC 3849): never anyone's real address. */
const IP_PREFIXES = ['203.0.113.', '198.51.100.', '192.0.2.', '2001:db8:4a::'];

class DemoRecorder {
  readonly actions: Record<string, number> = {};
  requests = 0;
  readonly users: DemoUser[] = [];
  readonly groups: DemoGroup[] = [];
  readonly policies: DemoPolicy[] = [];
  readonly sites: DemoSite[] = [];
  readonly domain: string;
  private language = 0;
  private invited = 0;
  private tempGroups = 0;

  constructor(
    private readonly base: string,
    readonly orgId: string,
    private readonly random: () => number,
    private readonly pace?: DemoActivityOptions['pace'],
  ) {
    const label = orgId
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
    this.domain = `${label || 'demo'}.test`;
  }

  // ---- helpers

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  actorFor(seed: number): Pick<Actor, 'ip' | 'userAgent'> {
    const prefix = IP_PREFIXES[seed % IP_PREFIXES.length];
    const host = 10 + Math.floor(this.random() * 200);
    return {
      ip: prefix.includes(':') ? `${prefix}${host.toString(16)}` : `${prefix}${host}`,
      userAgent: this.pick(USER_AGENTS),
    };
  }

  admin(): DemoUser {
    return this.pick(this.users.filter((u) => u.admin));
  }

  get mainSite(): DemoSite {
    return this.sites[0];
  }

  get sandbox(): DemoSite {
    return this.sites[1];
  }

  private headers(actor: Actor, extra: Record<string, string> = {}): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-user-id': actor.id,
      'x-forwarded-for': actor.ip,
      'user-agent': actor.userAgent,
      ...extra,
    };
  }

  /**
   * One request, to a path of the organization (`/groups`) or of the caller (`/me/...`); anything
   * but 2xx stops the run with what the server said.
   */
  async call<T>(
    actor: Actor,
    method: string,
    path: string,
    body?: unknown,
    options: { action?: string; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const url = path.startsWith('/me/') ? path : `/orgs/${encodeURIComponent(this.orgId)}${path}`;
    this.pace?.beforeRequest();
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: this.headers(actor, options.headers),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(
        `recordDemoActivity: ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`,
      );
    }
    if (options.action) {
      this.requests++;
      this.actions[options.action] = (this.actions[options.action] ?? 0) + 1;
    }
    return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }

  // ---- the activities, each one request that records one event

  async verifyDomain(domain: string): Promise<void> {
    await this.call(this.admin(), 'POST', `/domains/${domain}/verify`, undefined, {
      action: 'domain_verified',
    });
  }

  async invite(name: string, localPart: string, contractor: boolean): Promise<DemoUser> {
    const seed = this.users.length;
    const email = `${localPart}@${this.domain}`;
    const res = await this.call<{ user: { id: string } }>(
      this.admin(),
      'POST',
      '/users/invite',
      { email, name, siteId: this.mainSite.id },
      { action: 'user_invited' },
    );
    const user: DemoUser = {
      id: res.user.id,
      ...this.actorFor(seed),
      name,
      originalName: name,
      localPart,
      email,
      siteIds: new Set([this.mainSite.id]),
      products: new Set(),
      password: null,
      twoStep: false,
      admin: false,
      contractor,
    };
    this.users.push(user);
    return user;
  }

  async inviteNewcomer(): Promise<DemoUser> {
    const n = this.invited++;
    const first = FIRST_NAMES[n % FIRST_NAMES.length];
    const last = LAST_NAMES[(n * 3 + 1) % LAST_NAMES.length];
    const ascii = `${first}.${last}`
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .toLowerCase();
    return this.invite(
      `${first} ${last}`,
      `${ascii}${n >= FIRST_NAMES.length ? n : ''}`,
      this.chance(0.3),
    );
  }

  async removeUser(user: DemoUser): Promise<void> {
    await this.call(this.admin(), 'DELETE', `/users/${user.id}`, undefined, {
      action: 'user_removed',
    });
    this.users.splice(this.users.indexOf(user), 1);
    for (const g of this.groups) g.members.delete(user.id);
    for (const p of this.policies) p.users.delete(user.id);
  }

  async grantSite(user: DemoUser, site: DemoSite): Promise<void> {
    await this.call(
      this.admin(),
      'POST',
      `/sites/${site.id}/users`,
      { userId: user.id },
      { action: 'user_granted_site_access' },
    );
    user.siteIds.add(site.id);
  }

  async revokeSite(user: DemoUser, site: DemoSite): Promise<void> {
    await this.call(this.admin(), 'DELETE', `/sites/${site.id}/users/${user.id}`, undefined, {
      action: 'user_site_access_revoked',
    });
    user.siteIds.delete(site.id);
    for (const p of site.products) user.products.delete(`${site.id}/${p}`);
  }

  async grantProduct(user: DemoUser, site: DemoSite, product: string): Promise<void> {
    await this.call(
      this.admin(),
      'POST',
      `/sites/${site.id}/products/${product}/users`,
      { userId: user.id },
      {
        action: 'user_granted_product_access',
      },
    );
    user.products.add(`${site.id}/${product}`);
  }

  async revokeProduct(user: DemoUser, key: string): Promise<void> {
    const [siteId, product] = key.split('/');
    await this.call(
      this.admin(),
      'DELETE',
      `/sites/${siteId}/products/${product}/users/${user.id}`,
      undefined,
      {
        action: 'user_product_access_revoked',
      },
    );
    user.products.delete(key);
  }

  async createGroup(name: string, description?: string): Promise<DemoGroup> {
    const res = await this.call<{ id: string }>(
      this.admin(),
      'POST',
      '/groups',
      { name, description },
      {
        action: 'group_created',
      },
    );
    const group: DemoGroup = {
      id: res.id,
      name,
      baseName: name,
      members: new Set(),
      access: new Set(),
    };
    this.groups.push(group);
    return group;
  }

  async deleteGroup(group: DemoGroup): Promise<void> {
    await this.call(this.admin(), 'DELETE', `/groups/${group.id}`, undefined, {
      action: 'group_deleted',
    });
    this.groups.splice(this.groups.indexOf(group), 1);
  }

  async renameGroup(group: DemoGroup, name: string): Promise<void> {
    await this.call(
      this.admin(),
      'PATCH',
      `/groups/${group.id}`,
      { name },
      { action: 'group_renamed' },
    );
    group.name = name;
  }

  async addMember(group: DemoGroup, user: DemoUser): Promise<void> {
    if (group.members.has(user.id)) return;
    await this.call(
      this.admin(),
      'POST',
      `/groups/${group.id}/members`,
      { userId: user.id },
      {
        action: 'user_added_to_group',
      },
    );
    group.members.add(user.id);
  }

  async removeMember(group: DemoGroup, userId: string): Promise<void> {
    await this.call(this.admin(), 'DELETE', `/groups/${group.id}/members/${userId}`, undefined, {
      action: 'user_removed_from_group',
    });
    group.members.delete(userId);
  }

  async groupAccess(
    group: DemoGroup,
    role: 'user' | 'admin',
    site: DemoSite,
    product: string,
    grant: boolean,
  ) {
    const key = `${role}:${site.id}/${product}`;
    const route = `/sites/${site.id}/products/${product}/${role === 'admin' ? 'admin-groups' : 'groups'}`;
    if (grant) {
      await this.call(
        this.admin(),
        'POST',
        route,
        { groupId: group.id },
        {
          action: role === 'admin' ? 'group_granted_admin_access' : 'group_granted_product_access',
        },
      );
      group.access.add(key);
    } else {
      await this.call(this.admin(), 'DELETE', `${route}/${group.id}`, undefined, {
        action: role === 'admin' ? 'group_admin_access_revoked' : 'group_product_access_revoked',
      });
      group.access.delete(key);
    }
  }

  async grantAdmin(user: DemoUser): Promise<void> {
    await this.call(this.admin(), 'PUT', `/admins/${user.id}`, undefined, {
      action: 'org_admin_granted',
    });
    user.admin = true;
  }

  async revokeAdmin(user: DemoUser): Promise<void> {
    const by = this.pick(this.users.filter((u) => u.admin && u !== user));
    await this.call(by, 'DELETE', `/admins/${user.id}`, undefined, { action: 'org_admin_revoked' });
    user.admin = false;
  }

  async changeSetting(setting: string, value: string): Promise<void> {
    await this.call(
      this.admin(),
      'PUT',
      `/settings/${setting}`,
      { value },
      { action: 'org_settings_changed' },
    );
  }

  async nextLanguage(): Promise<void> {
    this.language = (this.language + 1) % LANGUAGES.length;
    await this.changeSetting('defaultLanguage', LANGUAGES[this.language]);
  }

  async createPolicy(
    name: string,
    type: string,
    settings: Record<string, unknown>,
  ): Promise<DemoPolicy> {
    const res = await this.call<{ id: string }>(
      this.admin(),
      'POST',
      '/policies',
      { name, type, settings },
      {
        action: 'policy_created',
      },
    );
    const policy: DemoPolicy = {
      id: res.id,
      name,
      users: new Set(),
      timeout:
        typeof settings.sessionTimeoutMinutes === 'number' ? settings.sessionTimeoutMinutes : 480,
    };
    this.policies.push(policy);
    return policy;
  }

  async updatePolicy(policy: DemoPolicy): Promise<void> {
    const timeout = this.pick(TIMEOUTS.filter((t) => t !== policy.timeout));
    await this.call(
      this.admin(),
      'PATCH',
      `/policies/${policy.id}`,
      { settings: { sessionTimeoutMinutes: timeout } },
      {
        action: 'policy_updated',
      },
    );
    policy.timeout = timeout;
  }

  async deletePolicy(policy: DemoPolicy): Promise<void> {
    await this.call(this.admin(), 'DELETE', `/policies/${policy.id}`, undefined, {
      action: 'policy_deleted',
    });
    this.policies.splice(this.policies.indexOf(policy), 1);
  }

  async policyUsers(policy: DemoPolicy, userIds: string[], add: boolean): Promise<void> {
    await this.call(
      this.admin(),
      add ? 'POST' : 'DELETE',
      `/policies/${policy.id}/users`,
      { userIds },
      {
        action: add ? 'users_added_to_policy' : 'users_removed_from_policy',
      },
    );
    for (const id of userIds) {
      if (add) policy.users.add(id);
      else policy.users.delete(id);
    }
  }

  async changePassword(user: DemoUser): Promise<void> {
    const password = `demo-${Math.floor(this.random() * 1e12).toString(36)}-Pw!${this.users.indexOf(user)}`;
    const body = user.password
      ? { currentPassword: user.password, newPassword: password }
      : { newPassword: password };
    await this.call(user, 'PUT', '/me/password', body, { action: 'user_password_changed' });
    user.password = password;
  }

  async toggleTwoStep(user: DemoUser): Promise<void> {
    if (user.twoStep) {
      await this.call(user, 'DELETE', '/me/two-step', undefined, {
        action: 'user_two_step_disabled',
      });
    } else {
      const method = this.pick(['authenticator-app', 'authenticator-app', 'security-key', 'sms']);
      await this.call(
        user,
        'POST',
        '/me/two-step',
        { method },
        { action: 'user_two_step_enabled' },
      );
    }
    user.twoStep = !user.twoStep;
  }

  async toggleName(user: DemoUser): Promise<void> {
    const name =
      user.name === user.originalName
        ? `${user.originalName} (${this.pick(PRONOUNS)})`
        : user.originalName;
    await this.call(user, 'PUT', '/me/name', { name }, { action: 'user_name_changed' });
    user.name = name;
  }

  async toggleEmail(user: DemoUser): Promise<void> {
    const primary = `${user.localPart}@${this.domain}`;
    const email = user.email === primary ? `${user.localPart}@mail.${this.domain}` : primary;
    await this.call(user, 'PUT', '/me/email', { email }, { action: 'user_email_changed' });
    user.email = email;
  }

  // ---- the story

  async setUp(owner: DemoUser): Promise<void> {
    const orgName = `${this.orgId.charAt(0).toUpperCase()}${this.orgId.slice(1)} Corporation`;
    const exists = await fetch(`${this.base}/orgs/${encodeURIComponent(this.orgId)}`, {
      headers: this.headers(owner),
    });
    if (exists.ok)
      throw new Error(
        `recordDemoActivity: organization ${this.orgId} exists already; give a new one`,
      );
    await this.call(
      owner,
      'PUT',
      '',
      { name: orgName },
      {
        headers: { 'x-user-name': encodeURIComponent(owner.name), 'x-user-email': owner.email },
      },
    );
    this.users.push(owner);
    for (const [name, products] of [
      [
        `${this.domain.slice(0, -'.test'.length)}.atlassian.test`,
        ['jira', 'confluence', 'bitbucket'],
      ],
      [`${this.domain.slice(0, -'.test'.length)}-sandbox.atlassian.test`, ['jira', 'confluence']],
    ] as const) {
      const site = await this.call<DemoSite>(owner, 'POST', '/sites', { name, products });
      this.sites.push(site);
    }
    await this.verifyDomain(this.domain);
    await this.grantSite(owner, this.mainSite);
    await this.changeSetting('publicSignup', 'off');
    await this.nextLanguage();

    for (const [name, localPart, contractor] of PEOPLE)
      await this.invite(name, localPart, contractor);
    const [bob, ana] = this.users.slice(1);
    await this.grantAdmin(bob);
    await this.grantAdmin(ana);

    const groups: [string, string, [role: 'user' | 'admin', product: string][]][] = [
      [
        'site-admins',
        'Administer every product of the site',
        [
          ['admin', 'jira'],
          ['admin', 'confluence'],
        ],
      ],
      ['jira-admins', 'Jira administrators', [['admin', 'jira']]],
      ['jira-users', 'Everyone who uses Jira', [['user', 'jira']]],
      ['confluence-admins', 'Confluence space administrators', [['admin', 'confluence']]],
      ['confluence-users', 'Everyone who uses Confluence', [['user', 'confluence']]],
      ['bitbucket-developers', 'Engineers with repository access', [['user', 'bitbucket']]],
      ['contractors', 'External contractors (time-limited)', [['user', 'jira']]],
    ];
    for (const [name, description, grants] of groups) {
      const group = await this.createGroup(name, description);
      for (const [role, product] of grants)
        await this.groupAccess(group, role, this.mainSite, product, true);
    }
    const byName = (name: string) => this.groups.find((g) => g.baseName === name)!;
    for (const user of this.users) {
      if (user.contractor) {
        await this.addMember(byName('contractors'), user);
        continue;
      }
      await this.addMember(byName(this.chance(0.7) ? 'jira-users' : 'confluence-users'), user);
      if (this.chance(0.5)) await this.addMember(byName('confluence-users'), user);
      if (this.chance(0.3)) await this.addMember(byName('bitbucket-developers'), user);
    }
    await this.addMember(byName('site-admins'), bob);
    await this.addMember(byName('jira-admins'), ana);

    const everyone = await this.createPolicy('Default authentication policy', 'authentication', {
      twoStepRequired: false,
      sessionTimeoutMinutes: 480,
    });
    const contractors = await this.createPolicy(
      'Contractors: two-step verification required',
      'authentication',
      {
        twoStepRequired: true,
        sessionTimeoutMinutes: 60,
      },
    );
    await this.createPolicy('Data security: no public links', 'data_security', {
      blockPublicLinks: true,
    });
    await this.policyUsers(
      everyone,
      this.users.filter((u) => !u.contractor).map((u) => u.id),
      true,
    );
    await this.policyUsers(
      contractors,
      this.users.filter((u) => u.contractor).map((u) => u.id),
      true,
    );

    for (const user of this.users) {
      if (user === owner || this.chance(0.8)) await this.changePassword(user);
      if (user.contractor || this.chance(0.4)) await this.toggleTwoStep(user);
    }
    for (const user of this.users.slice(1, 6)) await this.grantSite(user, this.sandbox);
    for (const user of this.users.slice(3, 8))
      await this.grantProduct(user, this.mainSite, 'bitbucket');
  }

  /** Every action not yet recorded by the setup, at least once. */
  async tour(): Promise<void> {
    const [, bob, ana, seun, chen, priya] = this.users;
    await this.revokeProduct(chen, `${this.mainSite.id}/bitbucket`);
    await this.revokeSite(priya, this.sandbox);
    const temp = await this.invite('Temporary Auditor', 'temp.auditor', true);
    await this.removeUser(temp);

    const contractors = this.groups.find((g) => g.baseName === 'contractors')!;
    await this.renameGroup(contractors, 'external-contractors');
    const withMembers = this.groups.find((g) => g.members.size > 1)!;
    await this.removeMember(withMembers, [...withMembers.members][0]);
    const siteAdmins = this.groups.find((g) => g.baseName === 'site-admins')!;
    await this.groupAccess(siteAdmins, 'admin', this.mainSite, 'confluence', false);
    await this.groupAccess(contractors, 'user', this.mainSite, 'jira', false);
    const phoenix = await this.createGroup('project-phoenix', 'A project that did not happen');
    await this.deleteGroup(phoenix);

    await this.verifyDomain(`mail.${this.domain}`);
    await this.grantAdmin(seun);
    await this.revokeAdmin(seun);

    const [everyone] = this.policies;
    await this.updatePolicy(everyone);
    await this.policyUsers(everyone, [bob.id], false);
    const legacy = await this.createPolicy('Legacy IP allowlist', 'ip_allowlist', {});
    await this.policyUsers(legacy, [ana.id, bob.id], true);
    await this.deletePolicy(legacy);

    await this.toggleEmail(priya);
    await this.toggleName(chen);
    const withTwoStep = this.users.find((u) => u.twoStep);
    if (withTwoStep) await this.toggleTwoStep(withTwoStep);
  }

  /** One random activity: a weighted choice among those that make sense in the current state. */
  async randomActivity(): Promise<void> {
    const users = this.users;
    const nonAdmins = users.filter((u) => !u.admin);
    const choices: [weight: number, run: () => Promise<void> | undefined][] = [
      [
        6,
        () => {
          const group = this.pick(this.groups);
          const candidates = users.filter((u) => !group.members.has(u.id));
          return candidates.length ? this.addMember(group, this.pick(candidates)) : undefined;
        },
      ],
      [
        3,
        () => {
          const group = this.pick(this.groups);
          return group.members.size
            ? this.removeMember(group, this.pick([...group.members]))
            : undefined;
        },
      ],
      [
        3,
        () => {
          const user = this.pick(users);
          const site = this.pick(
            [...user.siteIds].map((id) => this.sites.find((s) => s.id === id)!),
          );
          const product =
            site && this.pick(site.products.filter((p) => !user.products.has(`${site.id}/${p}`)));
          return product ? this.grantProduct(user, site, product) : undefined;
        },
      ],
      [
        2,
        () => {
          const user = this.pick(users.filter((u) => u.products.size > 0));
          return user ? this.revokeProduct(user, this.pick([...user.products])) : undefined;
        },
      ],
      [
        2,
        () => {
          const user = this.pick(users.filter((u) => !u.siteIds.has(this.sandbox.id)));
          return user ? this.grantSite(user, this.sandbox) : undefined;
        },
      ],
      [
        1,
        () => {
          const user = this.pick(users.filter((u) => u.siteIds.has(this.sandbox.id)));
          return user ? this.revokeSite(user, this.sandbox) : undefined;
        },
      ],
      [
        3,
        () => {
          const group = this.pick(this.groups);
          const role = this.chance(0.3) ? 'admin' : 'user';
          const product = this.pick(this.mainSite.products);
          const has = group.access.has(`${role}:${this.mainSite.id}/${product}`);
          return this.groupAccess(group, role, this.mainSite, product, !has);
        },
      ],
      [2, () => (users.length < 24 ? this.inviteNewcomer().then(() => undefined) : undefined)],
      [1, () => (nonAdmins.length > 10 ? this.removeUser(this.pick(nonAdmins)) : undefined)],
      [
        1,
        () => {
          const group = this.pick(this.groups);
          return this.renameGroup(
            group,
            group.name === group.baseName ? `${group.baseName}-legacy` : group.baseName,
          );
        },
      ],
      [
        1,
        () => {
          if (this.groups.length > 10) return this.deleteGroup(this.groups[this.groups.length - 1]);
          return this.createGroup(`team-${++this.tempGroups}`, 'A short-lived project team').then(
            () => undefined,
          );
        },
      ],
      [2, () => this.updatePolicy(this.pick(this.policies))],
      [
        2,
        () => {
          const policy = this.pick(this.policies);
          const outside = users
            .filter((u) => !policy.users.has(u.id))
            .slice(0, 1 + Math.floor(this.random() * 3));
          if (outside.length && this.chance(0.6))
            return this.policyUsers(
              policy,
              outside.map((u) => u.id),
              true,
            );
          const inside = [...policy.users].slice(0, 1 + Math.floor(this.random() * 2));
          return inside.length ? this.policyUsers(policy, inside, false) : undefined;
        },
      ],
      [1, () => this.nextLanguage()],
      [0.5, () => this.verifyDomain(this.chance(0.5) ? this.domain : `mail.${this.domain}`)],
      [
        0.5,
        () => {
          const admins = users.filter((u) => u.admin);
          if (admins.length > 2 && this.chance(0.5))
            return this.revokeAdmin(this.pick(admins.slice(1)));
          return nonAdmins.length ? this.grantAdmin(this.pick(nonAdmins)) : undefined;
        },
      ],
      [1, () => this.toggleName(this.pick(users))],
      [1, () => this.toggleEmail(this.pick(users))],
      [3, () => this.changePassword(this.pick(users))],
      [2, () => this.toggleTwoStep(this.pick(users))],
    ];
    const total = choices.reduce((sum, [w]) => sum + w, 0);
    for (;;) {
      let r = this.random() * total;
      const [, run] = choices.find(([w]) => (r -= w) < 0) ?? choices[0];
      const done = run();
      if (done) return done;
    }
  }
}

/** The base URL of a server, listening on an ephemeral port first if it is not listening. */
async function baseUrlOf(
  target: Server | string,
): Promise<{ base: string; close: () => Promise<void> }> {
  if (typeof target === 'string')
    return { base: target.replace(/\/+$/, ''), close: async () => undefined };
  const server = target;
  let opened = false;
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    opened = true;
  }
  const address = server.address();
  if (!address || typeof address === 'string')
    throw new Error('recordDemoActivity needs a TCP server');
  const { address: host, port, family } = address as AddressInfo;
  const name =
    host === '::' || host === '0.0.0.0' ? '127.0.0.1' : family === 'IPv6' ? `[${host}]` : host;
  return {
    base: `http://${name}:${port}`,
    close: async () => {
      if (!opened) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Drives the example host's HTTP routes to create a realistic organization and a stream of
 * activity in all five categories, every built-in action a host records ({@link HOST_ACTIONS})
 * at least once, each recorded through
 * the real `@Audit()` path. Deterministic for a seed. The organization must be new to the host.
 *
 * It makes a site `<orgId>.atlassian.test` (and a sandbox site) with Jira, Confluence and
 * Bitbucket, verifies the domain `<orgId>.test`, invites 12 users (among them names with quotes,
 * an emoji and a newline, and one starting with `=`), creates groups such as `jira-admins`,
 * `confluence-users` and `site-admins`, three security policies, and then `count` random
 * activities. Requests carry documentation-range client addresses in `X-Forwarded-For` (the
 * example host trusts a loopback proxy) and varied user agents.
 *
 * @param server the example host's HTTP server (listened on an ephemeral port for the run when
 *   it is not listening) or its base URL, e.g. `http://127.0.0.1:3001`
 */
export async function recordDemoActivity(
  server: Server | string,
  opts: DemoActivityOptions,
): Promise<DemoActivitySummary> {
  const { base, close } = await baseUrlOf(server);
  try {
    const recorder = new DemoRecorder(base, opts.orgId, prng(opts.seed ?? 20261125), opts.pace);
    const ownerActor = recorder.actorFor(0);
    const owner: DemoUser = {
      id: `${opts.orgId}-owner`,
      ...ownerActor,
      name: 'Jane Doe',
      originalName: 'Jane Doe',
      localPart: 'jane.doe',
      email: `jane.doe@${recorder.domain}`,
      siteIds: new Set(),
      products: new Set(),
      password: null,
      twoStep: false,
      admin: true,
      contractor: false,
    };
    await recorder.setUp(owner);
    await recorder.tour();
    opts.pace?.startActivities();
    for (let i = 0; i < (opts.count ?? 150); i++) await recorder.randomActivity();

    const missing = HOST_ACTIONS.map((a) => a.id).filter((id) => !recorder.actions[id]);
    if (missing.length) throw new Error(`recordDemoActivity did not record ${missing.join(', ')}`);
    return {
      orgId: opts.orgId,
      requests: recorder.requests,
      actions: recorder.actions,
      users: recorder.users.length,
      groups: recorder.groups.length,
      policies: recorder.policies.length,
    };
  } finally {
    await close();
  }
}
