import type { AuditSite, AuditTarget } from '@auditkit/nestjs';
import type { GroupView, PolicyView, SiteView, UserView } from '../directory/directory.models';

// What the directory's objects look like in an audit event.

export const userTarget = (u: UserView): AuditTarget => ({
  id: u.id,
  type: 'user',
  name: u.name,
  email: u.email,
});

export const groupTarget = (g: GroupView): AuditTarget => ({
  id: g.id,
  type: 'group',
  name: g.name,
});

export const policyTarget = (p: PolicyView): AuditTarget => ({
  id: p.id,
  type: 'policy',
  name: p.name,
});

export const domainTarget = (domain: string): AuditTarget => ({
  id: domain,
  type: 'domain',
  name: domain,
});

export const siteOf = (s: SiteView | null | undefined): AuditSite | null =>
  s ? { id: s.id, name: s.name } : null;
