import { ConfigurableModuleBuilder } from '@nestjs/common';
import { AuditAdminModuleOptions } from './audit-admin-options.interface';

export const {
  ConfigurableModuleClass: AuditAdminConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_ADMIN_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<AuditAdminModuleOptions>({ moduleName: 'AuditAdmin' })
  .setClassMethodName('forRoot')
  .build();
