/**
 * A delivery worker in a process of its own, for the crash test: the core module and the
 * destinations module with delivery on, no HTTP, started with `fork()` so that a test can
 * SIGKILL it mid-batch. Configured by DISPATCHER_CONFIG (JSON: databaseUrl, instanceId);
 * reports `ready` over IPC.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditLogModule } from '@auditkit/nestjs';
import { AuditDestinationsModule } from '@auditkit/nestjs/destinations';
import { DESTINATIONS_KEY, FAST } from './destinations-app';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.DISPATCHER_CONFIG ?? '') as {
    databaseUrl: string;
    instanceId: string;
  };

  @Module({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl: config.databaseUrl }),
      AuditDestinationsModule.forRoot({
        encryptionKey: DESTINATIONS_KEY,
        ...FAST,
        batchSize: 10,
        instanceId: config.instanceId,
      }),
    ],
  })
  class DispatcherModule {}

  await NestFactory.createApplicationContext(DispatcherModule, { logger: false });
  process.send!({ type: 'ready' });
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
