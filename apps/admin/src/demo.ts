import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { auditDataSourceOptions } from '@auditkit/nestjs';
import { recordDemoActivity } from '../../example-host/src/demo-data';
import { createExampleHostApp } from '../../example-host/src/example-host.bootstrap';
import { AdminConfig } from './config';

/**
 * Demo data for `npm start`: boots the example host app (a small directory service) on an
 * ephemeral port against the same database and drives its real routes, so every event is
 * recorded through the `@Audit()` decorator path. Runs once: an org that has events is left alone.
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
  const host = await createExampleHostApp(
    { databaseUrl: config.databaseUrl },
    { logger: ['error', 'warn'] },
  );
  try {
    await host.listen(0, '127.0.0.1');
    const summary = await recordDemoActivity(await host.getUrl(), { orgId, count: 150 });
    logger.log(
      `Recorded ${summary.requests} demo activities for "${orgId}" through the example host's @Audit() routes`,
    );
  } finally {
    await host.close();
  }
}
