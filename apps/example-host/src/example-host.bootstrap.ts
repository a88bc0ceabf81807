import { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ExampleHostModule, ExampleHostOptions } from './example-host.module';

/**
 * Applies the example host's HTTP settings to an app made from `ExampleHostModule`
 * (`createExampleHostApp` does it; tests that build the app themselves call it before `init()`).
 */
export function configureExampleHost(app: NestExpressApplication): NestExpressApplication {
  // The client address recorded with each event is the one a local reverse proxy forwards.
  app.set('trust proxy', 'loopback');
  // Above any field's limit, so that an oversized name is a 400 naming the field, not a bare 413.
  app.useBodyParser('json', { limit: '2mb' });
  return app;
}

/** Creates the example host app (not yet listening). */
export async function createExampleHostApp(
  options: ExampleHostOptions,
  appOptions: NestApplicationOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    ExampleHostModule.forRoot(options),
    appOptions,
  );
  return configureExampleHost(app);
}
