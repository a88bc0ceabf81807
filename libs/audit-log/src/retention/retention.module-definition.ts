import { ConfigurableModuleBuilder } from '@nestjs/common';
import { AuditRetentionModuleOptions } from './retention-options.interface';

export const {
  ConfigurableModuleClass: AuditRetentionConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_RETENTION_OPTIONS,
} = new ConfigurableModuleBuilder<AuditRetentionModuleOptions>({ moduleName: 'AuditRetention' })
  .setClassMethodName('forRoot')
  .build();
