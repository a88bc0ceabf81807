import { AuditActionDefinition, AuditCategoryDefinition } from './audit-action.interface';

/** The five activity types of Atlassian's organization audit log. */
export const BUILTIN_CATEGORIES: readonly AuditCategoryDefinition[] = [
  { id: 'site_product_users', displayName: 'Site and product users' },
  { id: 'groups', displayName: 'Groups' },
  { id: 'organization', displayName: 'Organization' },
  { id: 'security_policies', displayName: 'Security policies' },
  { id: 'user_accounts', displayName: 'User accounts' },
];

const a = (
  category: string,
  id: string,
  displayName: string,
  template: string,
): AuditActionDefinition => ({ id, category, displayName, template });

/** The built-in actions, grouped by activity type. */
export const BUILTIN_ACTIONS: readonly AuditActionDefinition[] = [
  a(
    'site_product_users',
    'user_granted_product_access',
    'User granted product access',
    '{actor} granted {target.user} access to {product}',
  ),
  a(
    'site_product_users',
    'user_product_access_revoked',
    'User product access revoked',
    "{actor} revoked {target.user}'s access to {product}",
  ),
  a(
    'site_product_users',
    'user_granted_site_access',
    'User granted site access',
    '{actor} granted {target.user} access to {site}',
  ),
  a(
    'site_product_users',
    'user_site_access_revoked',
    'User site access revoked',
    "{actor} revoked {target.user}'s access to {site}",
  ),
  a(
    'site_product_users',
    'user_invited',
    'User invited',
    '{actor} invited {target.user} to {site}',
  ),
  a(
    'site_product_users',
    'user_removed',
    'User removed',
    '{actor} removed {target.user} from {site}',
  ),

  a('groups', 'group_created', 'Group created', '{actor} created the group {target.group}'),
  a('groups', 'group_deleted', 'Group deleted', '{actor} deleted the group {target.group}'),
  a(
    'groups',
    'group_renamed',
    'Group renamed',
    '{actor} renamed the group {metadata.previousName} to {target.group}',
  ),
  a(
    'groups',
    'user_added_to_group',
    'User added to group',
    '{actor} added {target.user} to {target.group}',
  ),
  a(
    'groups',
    'user_removed_from_group',
    'User removed from group',
    '{actor} removed {target.user} from {target.group}',
  ),
  a(
    'groups',
    'group_granted_product_access',
    'Group granted product access',
    '{actor} granted {target.group} access to {product}',
  ),
  a(
    'groups',
    'group_product_access_revoked',
    'Group product access revoked',
    "{actor} revoked {target.group}'s access to {product}",
  ),
  a(
    'groups',
    'group_granted_admin_access',
    'Group granted admin access',
    '{actor} granted {target.group} admin access to {product}',
  ),
  a(
    'groups',
    'group_admin_access_revoked',
    'Group admin access revoked',
    "{actor} revoked {target.group}'s admin access to {product}",
  ),

  a(
    'organization',
    'org_settings_changed',
    'Organization settings changed',
    '{actor} changed the organization setting {metadata.setting}',
  ),
  a(
    'organization',
    'domain_verified',
    'Domain verified',
    '{actor} verified the domain {target.domain}',
  ),
  a(
    'organization',
    'org_admin_granted',
    'Organization admin granted',
    '{actor} made {target.user} an organization admin',
  ),
  a(
    'organization',
    'org_admin_revoked',
    'Organization admin revoked',
    '{actor} removed organization admin rights from {target.user}',
  ),
  a(
    'organization',
    'audit_log_exported',
    'Audit log exported',
    '{actor} requested an export of the audit log',
  ),
  a(
    'organization',
    'audit_log_downloaded',
    'Audit log downloaded',
    '{actor} downloaded an audit log export',
  ),
  a(
    'organization',
    'api_key_created',
    'API key created',
    '{actor} created the API key {target.api_key}',
  ),
  a(
    'organization',
    'api_key_revoked',
    'API key revoked',
    '{actor} revoked the API key {target.api_key}',
  ),
  a(
    'organization',
    'revoked_api_key_used',
    'Revoked API key used',
    'Someone tried to use the revoked API key {target.api_key}',
  ),

  a(
    'security_policies',
    'policy_created',
    'Policy created',
    '{actor} created the policy {target.policy}',
  ),
  a(
    'security_policies',
    'policy_updated',
    'Policy updated',
    '{actor} updated the policy {target.policy}',
  ),
  a(
    'security_policies',
    'policy_deleted',
    'Policy deleted',
    '{actor} deleted the policy {target.policy}',
  ),
  a(
    'security_policies',
    'users_added_to_policy',
    'Users added to policy',
    '{actor} added {targets.user} to the policy {target.policy}',
  ),
  a(
    'security_policies',
    'users_removed_from_policy',
    'Users removed from policy',
    '{actor} removed {targets.user} from the policy {target.policy}',
  ),

  a(
    'user_accounts',
    'user_email_changed',
    'User changed e-mail',
    '{actor} changed their e-mail address',
  ),
  a('user_accounts', 'user_name_changed', 'User changed name', '{actor} changed their name'),
  a(
    'user_accounts',
    'user_password_changed',
    'User changed password',
    '{actor} changed their password',
  ),
  a(
    'user_accounts',
    'user_two_step_enabled',
    'Two-step verification enabled',
    '{actor} turned on two-step verification',
  ),
  a(
    'user_accounts',
    'user_two_step_disabled',
    'Two-step verification disabled',
    '{actor} turned off two-step verification',
  ),
];
