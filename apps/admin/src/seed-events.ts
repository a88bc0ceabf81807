import { AuditEventInput, AuditTarget } from '@auditkit/nestjs';
import { HOST_ACTIONS, prng } from '../../example-host/src/demo-data';

const FIRST = [
  'Jane',
  'Bob',
  'Aiko',
  'Chidi',
  'María',
  'Zoë',
  'Olek',
  'Priya',
  'Sam',
  'Lin',
  'Noor',
  'Ibrahim',
];
const LAST = [
  'Doe',
  'Li',
  'Tanaka',
  'Okafor',
  'García',
  "O'Brien",
  'Nowak',
  'Patel',
  'Smith',
  'Wei',
  'Haddad',
  'Kaya',
];
const GROUPS = [
  'jira-admins',
  'confluence-users',
  'site-admins',
  'developers',
  'marketing',
  'trusted-users',
];
const PRODUCTS = ['jira', 'confluence', 'bitbucket', 'jira-service-management'];
const POLICIES = [
  'Default authentication policy',
  'Enforce two-step verification',
  'Contractors data security',
];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'atlassian-cli/4.2 (+https://acme.test)',
];

/**
 * Realistic activity for one org in all five categories, spread over `days` up to `now`, oldest
 * first. Every built-in action appears once N is at least the number of actions.
 */
export function* demoEvents(
  orgId: string,
  count: number,
  days: number,
  now: number,
  seed = 42,
): Generator<AuditEventInput> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const users = FIRST.map((f, i) => {
    const name = `${f} ${LAST[i]}`;
    const email = `${f
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z]/g, '')}.${LAST[i].toLowerCase().replace(/[^a-z]/g, '')}@${orgId}.test`;
    return { id: `u-${i + 1}`, type: 'user', name, email } as AuditTarget;
  });
  const site = { id: 's-1', name: `${orgId}.atlassian.test` };
  const span = days * 24 * 3600 * 1000;
  const actions = HOST_ACTIONS;
  for (let i = 0; i < count; i++) {
    const action = i < actions.length ? actions[i] : pick(actions);
    const actor = action.category === 'user_accounts' ? pick(users) : users[Math.floor(rand() * 3)];
    const user = pick(users);
    const group: AuditTarget = {
      id: `g-${GROUPS.indexOf(pick(GROUPS)) + 1}`,
      type: 'group',
      name: pick(GROUPS),
    };
    const policy: AuditTarget = {
      id: `p-${Math.floor(rand() * 3) + 1}`,
      type: 'policy',
      name: pick(POLICIES),
    };
    const targets: AuditTarget[] =
      action.category === 'groups'
        ? action.id.startsWith('user_')
          ? [user, group]
          : [group]
        : action.category === 'security_policies'
          ? action.id.startsWith('users_')
            ? [policy, user, pick(users)]
            : [policy]
          : action.id === 'domain_verified'
            ? [{ id: `d-${orgId}`, type: 'domain', name: `${orgId}.test` }]
            : action.category === 'user_accounts' || action.id === 'org_settings_changed'
              ? []
              : [user];
    const metadata: Record<string, unknown> = {};
    if (action.id === 'group_renamed') metadata.previousName = `${group.name}-old`;
    if (action.id === 'org_settings_changed')
      metadata.setting = pick(['Session duration', 'Default language', 'Data residency']);
    yield {
      orgId,
      action: action.id,
      actor: { id: actor.id, type: 'user', name: actor.name, email: actor.email },
      targets,
      site,
      product: pick(PRODUCTS),
      location: { ip: `203.0.113.${Math.floor(rand() * 254) + 1}`, userAgent: pick(AGENTS) },
      outcome: rand() < 0.03 ? 'failure' : 'success',
      metadata,
      time: now - span + Math.floor(((i + rand()) / count) * span),
    };
  }
}
