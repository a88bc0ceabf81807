import 'reflect-metadata';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiExceptionFilter, signAuditToken } from '@auditkit/nestjs/admin';
import { AdminAppModule } from './admin-app.module';
import { ConfigError, loadConfig } from './config';
import { seedDemo } from './demo';
import { DEMO_VIEWER } from './viewer-config';
import { OPENAPI_PATH, serveOpenApi } from './openapi';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`auditkit: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  // The demo shows the viewer's links and columns unless the variables chose others.
  if (process.argv.includes('--demo') && !config.viewer.targetLinks && !config.viewer.columns) {
    config = { ...config, viewer: DEMO_VIEWER };
  }
  const logger = new Logger('AuditKit');
  for (const warning of config.warnings) logger.warn(warning);
  if (!config.http) {
    const context = await NestFactory.createApplicationContext(AdminAppModule.forConfig(config), {
      abortOnError: false,
    });
    context.enableShutdownHooks();
    logger.log('Running without HTTP (AUDITKIT_HTTP=false): export worker and scheduler only');
    return;
  }
  // The admin plugin parses its own bodies with its own limit (64 KiB).
  const app = await NestFactory.create<NestExpressApplication>(AdminAppModule.forConfig(config), {
    bodyParser: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new ApiExceptionFilter());
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  // No ETag on JSON answers: hashing each one cost the API time (a 50-event page, ~0.1 ms), and
  // no client of a log that changes by the second revalidates a page. The UI's files set their own.
  app.set('etag', false);
  app.enableShutdownHooks();
  serveOpenApi(app, config.publicUrl);
  await app.listen(config.port);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.log(
    `AuditKit admin listening on http://localhost:${port} (database: ${config.databaseUrl.replace(/\/\/[^@]*@/, '//***@')})`,
  );
  logger.log(`OpenAPI document: ${config.publicUrl}${OPENAPI_PATH}`);

  if (process.argv.includes('--demo')) {
    const org = 'acme';
    await seedDemo(config, org, logger);
    const token = await signAuditToken(
      {
        sub: 'u-demo-admin',
        name: 'Demo Admin',
        email: 'admin@acme.test',
        orgs: { [org]: ['org-admin'], globex: ['org-admin'] },
      },
      config.jwtSecret!,
      8 * 3600,
    );
    // A token is a secret: it goes to a file only its owner can read, never to the log.
    const file = join(config.dataDir, 'demo-sign-in.url');
    writeFileSync(file, `${config.publicUrl}/#token=${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    logger.log(
      `Demo ready: open the sign-in link kept in ${file} (org admin of "${org}", 8 hours)`,
    );
  }
}

main().catch((err: Error) => {
  // One line, with any credentials in URLs masked; the details are in the log above it.
  console.error(`auditkit: could not start: ${err.message.replace(/\/\/[^@\s/]*@/g, '//***@')}`);
  process.exit(1);
});
