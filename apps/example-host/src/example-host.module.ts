import {
  DynamicModule,
  Module,
  Provider,
  Type,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { AuditLogModule, AuditLogModuleOptions } from '@auditkit/nestjs';
import { DemoAuthGuard } from './auth/demo-auth.guard';
import { ManagedAccountGuard } from './auth/managed-account.guard';
import { GroupsController } from './controllers/groups.controller';
import { MeController } from './controllers/me.controller';
import { OrganizationsController } from './controllers/organizations.controller';
import { PoliciesController } from './controllers/policies.controller';
import { SitesController } from './controllers/sites.controller';
import { UsersController } from './controllers/users.controller';
import { DirectoryStore } from './directory/directory.store';

/** Options of `ExampleHostModule.forRoot()`: those of the `AuditLogModule` it imports. */
export type ExampleHostOptions = AuditLogModuleOptions;

/** How the example host validates bodies: unknown fields are a 400, not silently dropped. */
export const EXAMPLE_HOST_VALIDATION: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
};

/** The directory service's controllers, every one behind the demo auth guard. */
export const EXAMPLE_HOST_CONTROLLERS: Type<unknown>[] = [
  OrganizationsController,
  UsersController,
  SitesController,
  GroupsController,
  PoliciesController,
  MeController,
];

const directoryProviders: Provider[] = [DirectoryStore, DemoAuthGuard, ManagedAccountGuard];

/**
 * The example host: a small directory service (users, groups, sites, products and security
 * policies per organization, in memory) whose handlers record every built-in action with
 * `@Audit()`. It shows what a host app writes to use the audit log, and it is how the admin
 * app's demo data is recorded.
 */
@Module({})
export class ExampleHostModule {
  /**
   * The whole example host: the directory routes, a global `ValidationPipe`
   * (`EXAMPLE_HOST_VALIDATION`) and its own `AuditLogModule.forRoot(options)`.
   *
   * @example ExampleHostModule.forRoot({ databaseUrl: 'sqlite:./data/example-host.db' })
   */
  static forRoot(options: ExampleHostOptions): DynamicModule {
    return {
      module: ExampleHostModule,
      imports: [AuditLogModule.forRoot(options)],
      controllers: EXAMPLE_HOST_CONTROLLERS,
      providers: [
        ...directoryProviders,
        { provide: APP_PIPE, useFactory: () => new ValidationPipe(EXAMPLE_HOST_VALIDATION) },
      ],
    };
  }

  /**
   * The directory routes alone, for an app that imports `AuditLogModule` itself (its global
   * interceptor records these handlers). Such an app must validate bodies itself, with a global
   * `new ValidationPipe(EXAMPLE_HOST_VALIDATION)`: the routes rely on it.
   */
  static register(): DynamicModule {
    return {
      module: ExampleHostModule,
      controllers: EXAMPLE_HOST_CONTROLLERS,
      providers: directoryProviders,
    };
  }
}
