/** The products a site of the example directory can have. */
export const PRODUCTS = [
  'jira',
  'confluence',
  'bitbucket',
  'jira-service-management',
  'opsgenie',
  'statuspage',
  'trello',
  'loom',
] as const;
export type Product = (typeof PRODUCTS)[number];

/** Organization settings an admin can change (one `org_settings_changed` event each). */
export const ORG_SETTINGS = [
  'name',
  'defaultLanguage',
  'publicSignup',
  'externalCollaboration',
  'dataResidency',
] as const;
export type OrgSetting = (typeof ORG_SETTINGS)[number];

/** Kinds of security policy. */
export const POLICY_TYPES = ['authentication', 'data_security', 'ip_allowlist'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

/** Ways to turn on two-step verification. */
export const TWO_STEP_METHODS = ['authenticator-app', 'security-key', 'sms'] as const;
export type TwoStepMethod = (typeof TWO_STEP_METHODS)[number];

export interface PolicySettings {
  twoStepRequired?: boolean;
  sessionTimeoutMinutes?: number;
  blockPublicLinks?: boolean;
}

export interface OrgView {
  id: string;
  name: string;
  settings: Record<string, string>;
  adminIds: string[];
  createdAt: string;
}

export interface UserView {
  id: string;
  orgId: string;
  name: string;
  email: string;
  status: 'invited' | 'active';
  siteIds: string[];
  orgAdmin: boolean;
  twoStepEnabled: boolean;
  twoStepMethod: TwoStepMethod | null;
}

export interface GroupView {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  memberIds: string[];
}

export interface SiteView {
  id: string;
  orgId: string;
  name: string;
  products: Product[];
}

export interface PolicyView {
  id: string;
  orgId: string;
  name: string;
  type: PolicyType;
  settings: PolicySettings;
  userIds: string[];
}

export interface DomainView {
  domain: string;
  verified: boolean;
  verifiedAt: string | null;
}

/** A user invited to a site, or removed from the organization. */
export interface UserSiteResult {
  user: UserView;
  site: SiteView | null;
}

export interface SiteAccessResult {
  user: UserView;
  site: SiteView;
}

export interface ProductAccessResult {
  user: UserView;
  site: SiteView;
  product: Product;
}

export interface GroupProductAccessResult {
  group: GroupView;
  site: SiteView;
  product: Product;
  role: 'user' | 'admin';
}

export interface GroupMembershipResult {
  group: GroupView;
  user: UserView;
}

export interface GroupRenameResult {
  group: GroupView;
  previousName: string;
}

export interface SettingChangeResult {
  org: OrgView;
  setting: OrgSetting;
  previousValue: string | null;
  value: string;
}

export interface PolicyUpdateResult {
  policy: PolicyView;
  changed: string[];
}

export interface PolicyUsersResult {
  policy: PolicyView;
  users: UserView[];
}

/** A change a user made to their own account. */
export interface AccountChangeResult {
  user: UserView;
  previous?: string;
}
