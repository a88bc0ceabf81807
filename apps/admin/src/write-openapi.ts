import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AdminAppModule } from './admin-app.module';
import { loadConfig } from './config';
import { committedOpenApiText } from './openapi';

/**
 * `npm run openapi`: writes docs/openapi.json from the controllers. The app is built on a
 * throw-away SQLite file and data directory with the default configuration, so the document
 * does not depend on the environment of whoever runs it (test/api/openapi.e2e-spec.ts fails
 * when the committed file differs from what the code generates).
 */
async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-openapi-'));
  try {
    const config = loadConfig({ AUDITKIT_DATA_DIR: dataDir });
    const app = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: false,
    });
    try {
      const out = join(__dirname, '..', '..', '..', 'docs', 'openapi.json');
      writeFileSync(out, committedOpenApiText(app));
      console.log(`wrote ${out}`);
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`auditkit: ${err.message}`);
  process.exit(1);
});
