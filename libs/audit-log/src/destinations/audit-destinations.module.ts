import { Module } from '@nestjs/common';
import { StreamQueryService } from '../query/stream-query.service';
import { DeliveryReader } from './delivery-reader';
import { DestinationDispatcher } from './destination-dispatcher';
import { DestinationRepository } from './destination-repository';
import { DestinationTransports } from './destination-transports';
import { DestinationsAuthGuard } from './destinations-auth.guard';
import { ResolvedDestinationsOptions } from './destinations-options.interface';
import { DestinationsController } from './destinations.controller';
import { DESTINATION_SECRET_BOX } from './destinations.internal-constants';
import {
  AUDIT_DESTINATIONS_OPTIONS,
  AUDIT_DESTINATIONS_RESOLVED_OPTIONS,
  AuditDestinationsConfigurableModule,
  resolveDestinationsOptions,
} from './destinations.module-definition';
import { DestinationsService } from './destinations.service';
import { SecretBox } from './secret-box';

/**
 * Streams each org's events to its destinations (docs/destinations.md): HTTPS webhooks, Splunk
 * HEC, and the types a host adds (syslog, files), each with its own cursor over `seq`, in order,
 * at least once. Serves `/admin/v1/orgs/{orgId}/destinations` for org admins. Needs
 * `AuditLogModule.forRoot({ isGlobal: true })` and, for the routes, `AuditAdminModule`:
 *
 * ```ts
 * AuditDestinationsModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     encryptionKey: config.getOrThrow('DESTINATIONS_KEY'),
 *     enabled: config.get('WORKER') !== 'false',
 *   }),
 * })
 * ```
 *
 * Any number of instances may share one database: each destination is delivered by one of them
 * at a time (a lease in its row), and another takes over when that one stops.
 */
@Module({
  controllers: [DestinationsController],
  providers: [
    {
      provide: AUDIT_DESTINATIONS_RESOLVED_OPTIONS,
      useFactory: resolveDestinationsOptions,
      inject: [AUDIT_DESTINATIONS_OPTIONS],
    },
    {
      provide: DESTINATION_SECRET_BOX,
      useFactory: (o: ResolvedDestinationsOptions) => new SecretBox(o.encryptionKey),
      inject: [AUDIT_DESTINATIONS_RESOLVED_OPTIONS],
    },
    // Its own instance: worker processes may run without the admin plugin.
    StreamQueryService,
    DestinationRepository,
    DestinationTransports,
    DeliveryReader,
    DestinationDispatcher,
    DestinationsService,
    DestinationsAuthGuard,
  ],
  exports: [DestinationsService, DestinationDispatcher],
})
export class AuditDestinationsModule extends AuditDestinationsConfigurableModule {}
