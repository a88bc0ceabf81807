// A host that records and embeds the admin plugin, exports, retention and metrics: every entry
// point.
import 'reflect-metadata';
import { Body, Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { Audit, AuditLogModule } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditExportModule } from '@auditkit/nestjs/export';
import { AuditMetricsModule } from '@auditkit/nestjs/metrics';
import { AuditRetentionModule } from '@auditkit/nestjs/retention';
import type { Request } from 'express';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

@Controller('orgs/:orgId/groups')
class GroupsController {
  @Post()
  @Audit<{ id: string; name: string }>('group_created', {
    targets: ({ result }) => [{ id: result!.id, type: 'group', name: result!.name }],
  })
  create(@Body() body: { name: string }) {
    return { id: `g-${body.name}`, name: body.name };
  }
}

const secret = process.env.JWT_SECRET!;

@Module({
  imports: [
    ScheduleModule.forRoot(),
    AuditLogModule.forRoot({ isGlobal: true, databaseUrl: process.env.DATABASE_URL! }),
    AuditAdminModule.forRoot({ jwt: { secret }, secret }),
    AuditExportModule.forRoot({
      publicUrl: 'http://127.0.0.1',
      linkSecret: secret,
      storageDir: join(tmpdir(), `host-exports-${process.pid}`),
      outboxDir: join(tmpdir(), `host-outbox-${process.pid}`),
    }),
    AuditRetentionModule.forRoot({ retentionDays: 180 }),
    AuditMetricsModule.forRoot({}),
  ],
  controllers: [GroupsController],
})
class AppModule {}

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.use((req: Request & { user?: unknown }, _res: unknown, next: () => void) => {
    req.user = { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' };
    next();
  });
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write(`listening ${process.env.PORT}\n`);
}
void main();
