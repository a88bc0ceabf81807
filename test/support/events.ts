import { AuditEventInput } from '@auditkit/nestjs';

/** A `group_created` activity by Jane Doe: the plainest valid event the suites record. */
export function groupCreated(orgId: string, groupName: string): AuditEventInput {
  return {
    orgId,
    action: 'group_created',
    actor: { id: 'u-1', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' },
    targets: [{ id: `g-${groupName}`, type: 'group', name: groupName }],
  };
}
