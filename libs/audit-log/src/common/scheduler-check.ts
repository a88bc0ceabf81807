import { Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * The library declares its jobs with `@Cron()` and leaves `ScheduleModule.forRoot()` to the
 * app, as the scheduler is app-wide: a second forRoot() in a library would register every job of
 * the app twice. This says so loudly when the app has no scheduler and a job would never run.
 */
export function warnIfNotScheduled(moduleRef: ModuleRef, jobName: string, what: string): void {
  let registered = false;
  try {
    moduleRef.get(SchedulerRegistry, { strict: false }).getCronJob(jobName);
    registered = true;
  } catch {
    registered = false;
  }
  if (!registered) {
    new Logger('AuditLog').warn(
      `${what} will not run on a schedule: import ScheduleModule.forRoot() from @nestjs/schedule once in your app module`,
    );
  }
}
