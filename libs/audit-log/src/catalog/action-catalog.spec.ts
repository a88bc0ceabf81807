import { AuditEvent } from '../event/audit-event.interface';
import { ActionCatalog } from './action-catalog';
import { BUILTIN_ACTIONS, BUILTIN_CATEGORIES } from './builtin-actions';

type Renderable = Parameters<ActionCatalog['render']>[0];

const jane = { id: 'u-123', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' };
const bob = { id: 'u-9', type: 'user', name: 'Bob Li', email: 'bob@acme.test' };
const group = { id: 'g-1', type: 'group', name: 'jira-admins' };

function event(action: string, overrides: Partial<AuditEvent> = {}): Renderable {
  return {
    action,
    actor: jane,
    targets: [],
    site: null,
    product: null,
    metadata: {},
    ...overrides,
  };
}

describe('ActionCatalog', () => {
  const catalog = new ActionCatalog();

  it('holds the five built-in activity types and every built-in action', () => {
    expect(catalog.listCategories().map((c) => c.id)).toEqual([
      'site_product_users',
      'groups',
      'organization',
      'security_policies',
      'user_accounts',
    ]);
    expect(catalog.listActions()).toHaveLength(BUILTIN_ACTIONS.length);
    for (const c of BUILTIN_CATEGORIES) {
      expect(catalog.listActions().some((a) => a.category === c.id)).toBe(true);
    }
    expect(catalog.getAction('group_created')).toEqual({
      id: 'group_created',
      category: 'groups',
      displayName: 'Group created',
      template: '{actor} created the group {target.group}',
    });
    expect(catalog.getAction('nope')).toBeUndefined();
  });

  it('renders "Jane Doe added Bob Li to jira-admins"', () => {
    expect(catalog.render(event('user_added_to_group', { targets: [bob, group] }))).toBe(
      'Jane Doe added Bob Li to jira-admins',
    );
    // Target order does not matter: {target.TYPE} picks by type.
    expect(catalog.render(event('user_added_to_group', { targets: [group, bob] }))).toBe(
      'Jane Doe added Bob Li to jira-admins',
    );
  });

  it('renders every placeholder kind', () => {
    const acmeSite = { id: 's-1', name: 'acme.atlassian.test' };
    expect(
      catalog.render(event('user_granted_product_access', { targets: [bob], product: 'jira' })),
    ).toBe('Jane Doe granted Bob Li access to jira');
    expect(catalog.render(event('user_invited', { targets: [bob], site: acmeSite }))).toBe(
      'Jane Doe invited Bob Li to acme.atlassian.test',
    );
    expect(
      catalog.render(
        event('group_renamed', { targets: [group], metadata: { previousName: 'jira-users' } }),
      ),
    ).toBe('Jane Doe renamed the group jira-users to jira-admins');
    const carol = { id: 'u-10', type: 'user', email: 'carol@acme.test' };
    const policy = { id: 'p-1', type: 'policy', name: 'Strict 2FA' };
    expect(catalog.render(event('users_added_to_policy', { targets: [bob, policy, carol] }))).toBe(
      'Jane Doe added Bob Li, carol@acme.test to the policy Strict 2FA',
    );
  });

  it('falls back to e-mail, then id, and to neutral words when parts are missing', () => {
    expect(
      catalog.render(
        event('user_added_to_group', { actor: { id: 'u-1', type: 'user', email: 'x@acme.test' } }),
      ),
    ).toBe('x@acme.test added a user to a group');
    expect(
      catalog.render(
        event('user_invited', { actor: { id: 'svc-7', type: 'system' }, targets: [bob] }),
      ),
    ).toBe('svc-7 invited Bob Li to a site');
    expect(catalog.render(event('users_added_to_policy'))).toBe(
      'Jane Doe added no users to the policy a policy',
    );
  });

  it("keeps names exactly, quotes and formulas included (escaping is the output format's job)", () => {
    const name = `=cmd|' /C calc'!A0 "x" 😀\nline`;
    expect(
      catalog.render(event('group_created', { targets: [{ id: 'g', type: 'group', name }] })),
    ).toBe(`Jane Doe created the group ${name}`);
  });

  it('describes actions with their category names, and unknown ones by id', () => {
    expect(catalog.describe('user_added_to_group')).toEqual({
      displayName: 'User added to group',
      categoryDisplayName: 'Groups',
    });
    expect(catalog.describe('gone_action')).toEqual({
      displayName: 'gone_action',
      categoryDisplayName: '',
    });
    expect(catalog.render(event('gone_action'))).toBe('Jane Doe performed gone_action');
  });

  it('registers host categories and actions, and lets a host reword a built-in action', () => {
    const host = new ActionCatalog(
      [{ id: 'billing', displayName: 'Billing' }],
      [
        {
          id: 'invoice_paid',
          category: 'billing',
          displayName: 'Invoice paid',
          template: '{actor} paid {target.invoice}',
        },
        {
          id: 'repo_archived',
          category: 'organization',
          displayName: 'Repository archived',
          template: '{actor} archived {target}',
        },
        {
          id: 'group_created',
          category: 'groups',
          displayName: 'Team created',
          template: '{actor} made the team {target.group}',
        },
      ],
    );
    expect(host.getCategory('billing')).toEqual({ id: 'billing', displayName: 'Billing' });
    expect(host.getAction('invoice_paid')?.category).toBe('billing');
    expect(host.describe('invoice_paid')).toEqual({
      displayName: 'Invoice paid',
      categoryDisplayName: 'Billing',
    });
    expect(
      host.render(
        event('invoice_paid', {
          targets: [{ id: 'inv-1', type: 'invoice', name: 'INV-2026-001' }],
        }),
      ),
    ).toBe('Jane Doe paid INV-2026-001');
    expect(
      host.render(event('repo_archived', { targets: [{ id: 'r-1', type: 'repo', name: 'web' }] })),
    ).toBe('Jane Doe archived web');
    expect(host.render(event('group_created', { targets: [group] }))).toBe(
      'Jane Doe made the team jira-admins',
    );
    expect(host.listActions()).toHaveLength(BUILTIN_ACTIONS.length + 2);
    // The default catalog is not affected by another instance's registrations.
    expect(catalog.getAction('invoice_paid')).toBeUndefined();
  });

  it('copies definitions, so a caller changing its object later changes nothing', () => {
    const def = {
      id: 'thing_done',
      category: 'organization',
      displayName: 'Thing done',
      template: '{actor} did it',
    };
    const host = new ActionCatalog([], [def]);
    def.template = 'changed';
    expect(host.render(event('thing_done'))).toBe('Jane Doe did it');
  });

  describe('refuses bad definitions at start', () => {
    const ok = { category: 'organization', displayName: 'X', template: '{actor} did x' };
    it.each([
      ['an id with capitals', { ...ok, id: 'UserAdded' }, /invalid action "UserAdded"/],
      ['an id with spaces', { ...ok, id: 'user added' }, /invalid action/],
      ['an empty id', { ...ok, id: '' }, /invalid action/],
      ['an id over 128 characters', { ...ok, id: 'a'.repeat(129) }, /invalid action/],
      ['no display name', { ...ok, id: 'x_done', displayName: '' }, /invalid action "x_done"/],
      ['no template', { ...ok, id: 'x_done', template: '' }, /invalid action "x_done"/],
      [
        'an unknown category',
        { ...ok, id: 'x_done', category: 'billing' },
        /unknown category "billing"/,
      ],
    ])('an action with %s', (_name, def, message) => {
      expect(() => new ActionCatalog([], [def])).toThrow(message);
    });

    it.each([
      ['an id with capitals', { id: 'Billing', displayName: 'Billing' }],
      ['no display name', { id: 'billing', displayName: '' }],
      ['an empty id', { id: '', displayName: 'Billing' }],
    ])('a category with %s', (_name, def) => {
      expect(() => new ActionCatalog([def])).toThrow(/invalid category/);
    });
  });
});
