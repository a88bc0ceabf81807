import { DynamicModule, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { AuditLogModule } from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import { EmbedPagesController } from './embed-pages.controller';
import { EMBED_EXAMPLE_OPTIONS, EmbedExampleOptions } from './embed-example.options';
import { ViewerTokenController } from './viewer-token.controller';

/**
 * A host app that embeds the audit-log viewer in its own settings pages: AuditKit mounted at
 * `/audit` (its API and the viewer's files), a route that mints a viewer token for the
 * signed-in user's org, and two pages, plain HTML and React, that show `<auditkit-log>`.
 *
 * The host keeps its own sign-in: AuditKit's admin API answers only viewer tokens here
 * (`resolvePrincipal` never names an admin), so no admin page is exposed through the host.
 */
@Module({})
export class EmbedExampleModule {
  static forRoot(options: EmbedExampleOptions): DynamicModule {
    return {
      module: EmbedExampleModule,
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: options.databaseUrl }),
        AuditAdminModule.forRoot({
          // The host signs its people in; AuditKit trusts no one but viewer tokens here.
          resolvePrincipal: () => undefined,
          secret: options.secret,
          viewerTokens: { allowedOrigins: options.allowedOrigins ?? [] },
          ui: true,
        }),
        RouterModule.register([{ path: 'audit', module: AuditAdminModule }]),
      ],
      controllers: [ViewerTokenController, EmbedPagesController],
      providers: [{ provide: EMBED_EXAMPLE_OPTIONS, useValue: options }],
    };
  }
}
