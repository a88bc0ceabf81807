import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions } from '@auditkit/nestjs';
import { DemoClock } from '../../example-host/src/demo-clock';
import { recordDemoActivity } from '../../example-host/src/demo-data';
import { createExampleHostApp } from '../../example-host/src/example-host.bootstrap';
import { AdminConfig } from './config';

/** How far back the demo's story starts: past the default retention, so the first purge shows. */
export const DEMO_DAYS = 200;
/** The random activities after the setup: months of history in a few seconds' recording. */
export const DEMO_ACTIVITIES = 3000;

/**
 * Demo data for `npm start`: boots the example host app (a small directory service) on an
 * ephemeral port against the same database and drives its real routes, so every event is
 * recorded through the `@Audit()` decorator path. The host's clock is the story's
 * (`DemoClock`): the activity spreads over the last `DEMO_DAYS` days with a daily rhythm, and
 * the first retention purge (180 days by default) removes its oldest weeks. The host writes one
 * batch at a time, so seqs follow time. Runs once: an org that has events is left alone.
 */
export async function seedDemo(config: AdminConfig, orgId: string, logger: Logger): Promise<void> {
  const ds = await new DataSource(auditDataSourceOptions(config.databaseUrl)).initialize();
  let existing: number;
  try {
    const [row] = await ds.query('SELECT COUNT(*) AS n FROM auditkit_events WHERE org_id = ?', [
      orgId,
    ]);
    existing = Number(row.n);
  } finally {
    await ds.destroy();
  }
  if (existing > 0) {
    logger.log(`Demo data for "${orgId}" already present (${existing} events)`);
    return;
  }
  const clock = new DemoClock({ days: DEMO_DAYS, activities: DEMO_ACTIVITIES });
  const host = await createExampleHostApp(
    { databaseUrl: config.databaseUrl, clock, writer: { concurrency: 1 } },
    { logger: ['error', 'warn'] },
  );
  try {
    await host.listen(0, '127.0.0.1');
    const summary = await recordDemoActivity(await host.getUrl(), {
      orgId,
      count: DEMO_ACTIVITIES,
      pace: clock,
    });
    logger.log(
      `Recorded ${summary.requests} demo activities for "${orgId}" over the last ${DEMO_DAYS} days through the example host's @Audit() routes`,
    );
  } finally {
    await host.close();
  }
}
