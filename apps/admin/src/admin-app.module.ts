import { DynamicModule, Module } from '@nestjs/common';
import { AuditAdminModule, AuditLogModule, AuditRetentionModule } from '@auditkit/nestjs';
import { AdminConfig } from './config';

/** The bundled admin app: the library wired from configuration, nothing more. */
@Module({})
export class AdminAppModule {
  static forConfig(config: AdminConfig): DynamicModule {
    return {
      module: AdminAppModule,
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: config.databaseUrl }),
        AuditAdminModule.forRoot({
          jwt: { secret: config.jwtSecret, jwksUrl: config.jwksUrl },
          secret: config.jwtSecret,
        }),
        AuditRetentionModule.forRoot({
          retentionDays: config.retentionDays,
          schedule: config.scheduler,
        }),
      ],
    };
  }
}
