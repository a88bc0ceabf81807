import { AuditService } from '@auditkit/nestjs';

const DAY = 86_400_000;
const PEOPLE = [
  { id: 'u-jane', name: 'Jane Doe', email: 'jane@acme.test' },
  { id: 'u-bob', name: 'Bob Li', email: 'bob@acme.test' },
  { id: 'u-ada', name: 'Ada Lovelace', email: 'ada@acme.test' },
];

/**
 * Three weeks of activity for the demo org, recorded with `AuditService.record()` as a host's own
 * code would.
 */
export async function seedEmbedDemo(audit: AuditService, org: string): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < 60; i++) {
    const actor = PEOPLE[i % PEOPLE.length];
    const subject = PEOPLE[(i + 1) % PEOPLE.length];
    const time = new Date(now - (i * 21 * DAY) / 60 - (i % 5) * 3_600_000);
    const kind = i % 3;
    await audit.record({
      orgId: org,
      action: kind === 0 ? 'group_created' : kind === 1 ? 'user_added_to_group' : 'user_invited',
      time,
      actor: { id: actor.id, name: actor.name, email: actor.email },
      targets:
        kind === 0
          ? [{ id: `g-${i}`, type: 'group', name: `team-${i}` }]
          : kind === 1
            ? [
                { id: subject.id, type: 'user', name: subject.name },
                { id: 'g-0', type: 'group', name: 'team-0' },
              ]
            : [{ id: subject.id, type: 'user', name: subject.name }],
      location: { ip: `203.0.113.${10 + (i % 7)}` },
    });
  }
}
