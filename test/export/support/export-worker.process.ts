/**
 * A worker process for the resilience tests: the export module with `worker: true` and nothing
 * else, started with `fork()` so a test can SIGKILL it at a moment of its choosing. Configured
 * by the EXPORT_WORKER_CONFIG environment variable (JSON of WorkerProcessConfig); reports
 * `ready` and, in `hold-write` mode, `half-written` (the export file is half on disk and the
 * write paused for good) over IPC.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditLogModule } from '@auditkit/nestjs';
import {
  AuditExportModule,
  AuditExportQueueOptions,
  LocalExportStorage,
} from '@auditkit/nestjs/export';
import { GatedStorage } from './gated-storage';

export interface WorkerProcessConfig {
  databaseUrl: string;
  redisUrl: string;
  smtpUrl: string;
  storageDir: string;
  publicUrl: string;
  linkSecret: string;
  queue: AuditExportQueueOptions;
  mode: 'hold-write' | 'plain';
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.EXPORT_WORKER_CONFIG ?? '') as WorkerProcessConfig;
  const storage = new GatedStorage(
    new LocalExportStorage({ directory: config.storageDir }),
    config.storageDir,
  );
  if (config.mode === 'hold-write') {
    const gate = storage.holdNextWrite(4096);
    void gate.reached.then(() => process.send!({ type: 'half-written' }));
  }

  @Module({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl: config.databaseUrl }),
      AuditExportModule.forRoot({
        redisUrl: config.redisUrl,
        smtpUrl: config.smtpUrl,
        publicUrl: config.publicUrl,
        linkSecret: config.linkSecret,
        storage,
        worker: true,
        cleanup: false,
        queue: config.queue,
      }),
    ],
  })
  class WorkerModule {}

  await NestFactory.createApplicationContext(WorkerModule, { logger: false });
  process.send!({ type: 'ready' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
