import { Logger } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { recordDemoActivity } from './demo-data';
import { createExampleHostApp } from './example-host.bootstrap';

/**
 * The example host: `PORT` (default 3000), `DATABASE_URL` (default
 * `sqlite:./data/example-host.db`). `--demo[=orgId]` records demo activity once it listens.
 */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0-65535), got "${process.env.PORT}"`);
  }
  const databaseUrl = process.env.DATABASE_URL || 'sqlite:./data/example-host.db';
  if (/^sqlite:/i.test(databaseUrl)) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file && file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  }
  const demo = process.argv.slice(2).find((a) => a === '--demo' || a.startsWith('--demo='));

  const app = await createExampleHostApp({ databaseUrl });
  app.set('trust proxy', 'loopback');
  app.enableShutdownHooks();
  await app.listen(port);
  const logger = new Logger('ExampleHost');
  logger.log(`Listening on ${await app.getUrl()}`);
  if (demo) {
    const orgId = demo.includes('=') ? demo.slice('--demo='.length) : 'acme';
    const summary = await recordDemoActivity(app.getHttpServer(), { orgId });
    logger.log(`Recorded ${summary.requests} demo activities for organization ${orgId}`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
