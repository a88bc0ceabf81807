/*
 * The embedding example: `npm run example:embed`, then open http://localhost:3002/ (plain HTML)
 * or http://localhost:3002/react/ (React). Both pages are the host's own, with its own header and
 * colours; the audit log inside them is <auditkit-log>, served by AuditKit at /audit/.
 */
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiExceptionFilter } from '@auditkit/nestjs/admin';
import { AuditService } from '@auditkit/nestjs';
import { WEB_DIR } from './embed-pages.controller';
import { EmbedExampleModule } from './embed-example.module';
import { seedEmbedDemo } from './seed';
import { buildReactBundle } from './react-bundle';

async function main() {
  const logger = new Logger('EmbedExample');
  const dataDir = resolve(process.env.DATA_DIR ?? 'data');
  mkdirSync(dataDir, { recursive: true });
  const port = Number(process.env.PORT ?? 3002);
  const reactBundle = await buildReactBundle(WEB_DIR, join(dataDir, 'embed-react-app.js'));
  const file = join(dataDir, 'embed-example.db');
  const fresh = !process.env.DATABASE_URL && !existsSync(file);
  const app = await NestFactory.create(
    EmbedExampleModule.forRoot({
      databaseUrl: process.env.DATABASE_URL ?? `sqlite:${file}`,
      // A demo: a new secret each start (viewer tokens of a previous run stop working).
      secret: process.env.AUDITKIT_SECRET ?? randomBytes(32).toString('base64url'),
      org: 'acme',
      reactBundle,
      // Pages of other origins that may embed this viewer, e.g. http://localhost:5173.
      allowedOrigins: (process.env.ALLOWED_ORIGINS ?? '').split(',').filter(Boolean),
    }),
    { logger: ['error', 'warn', 'log'] },
  );
  app.useGlobalFilters(new ApiExceptionFilter());
  // Once, into a new database: a second start finds the activity there.
  if (fresh || process.argv.includes('--seed')) await seedEmbedDemo(app.get(AuditService), 'acme');
  await app.listen(port);
  logger.log(
    `Plain HTML page: http://localhost:${port}/   React page: http://localhost:${port}/react/`,
  );
}

main().catch((err: Error) => {
  console.error(`embed example: could not start: ${err.message}`);
  process.exit(1);
});
