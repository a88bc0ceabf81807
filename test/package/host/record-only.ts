// A host that only records: the core entry point, nothing else of AuditKit.
import 'reflect-metadata';
import { Body, Controller, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Audit, AuditLogModule, auditMiddleware, AuditService } from '@auditkit/nestjs';
import type { Request } from 'express';

interface Group {
  id: string;
  name: string;
}

@Controller('orgs/:orgId/groups')
class GroupsController {
  constructor(private readonly audit: AuditService) {}

  @Post()
  @Audit<Group>('group_created', {
    targets: ({ result }) => [{ id: result!.id, type: 'group', name: result!.name }],
  })
  create(@Body() body: { name: string }) {
    return { id: `g-${body.name}`, name: body.name };
  }

  @Post(':groupId/delete')
  async remove(@Param('orgId') orgId: string, @Param('groupId') groupId: string) {
    await this.audit.record({
      orgId,
      action: 'group_deleted',
      actor: { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' },
      targets: [{ id: groupId, type: 'group', name: groupId }],
    });
    return { ok: true };
  }
}

@Module({
  imports: [AuditLogModule.forRoot({ databaseUrl: process.env.DATABASE_URL! })],
  controllers: [GroupsController],
})
class AppModule {}

async function main() {
  const app = await NestFactory.create(AppModule, { bodyParser: true, logger: ['error', 'warn'] });
  // A fake sign-in, as a host's own auth would do before the audit log sees the request.
  app.use((req: Request & { user?: unknown }, _res: unknown, next: () => void) => {
    req.user = { id: 'u-1', name: 'Jane Doe', email: 'jane@acme.test' };
    next();
  });
  // An Express route recorded by the middleware, beside Nest's own routes.
  const express = app.getHttpAdapter().getInstance();
  express.post(
    '/orgs/:orgId/settings',
    auditMiddleware(app.get(AuditService), 'org_settings_changed'),
    (_req: Request, res: { json(body: unknown): void }) => res.json({ ok: true }),
  );
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write(`listening ${process.env.PORT}\n`);
}
void main();
