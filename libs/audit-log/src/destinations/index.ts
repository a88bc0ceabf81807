// `@auditkit/nestjs/destinations`: events streamed to webhooks, Splunk HEC, syslog and files.
export { AuditDestinationsModule } from './audit-destinations.module';
export type { AuditDestinationsModuleOptions } from './destinations-options.interface';
export { DestinationsService, MAX_DESTINATIONS_PER_ORG } from './destinations.service';
export type { DestinationTestResult, DestinationView } from './destinations.service';
export { DestinationDispatcher } from './destination-dispatcher';
export {
  BUILTIN_DESTINATION_TYPES,
  splunkHecDestination,
  webhookDestination,
} from './destination-types';
export type {
  DestinationSettings,
  DestinationTypeDefinition,
  TransportContext,
} from './destination-types';
export { parseFileFields, parseSyslogFields } from './extra-destination-fields';
export { fileDestination, orgDirectory, syslogDestination } from './agent-destination-types';
export {
  caField,
  httpsUrlField,
  intField,
  isLoopbackHost,
  refuseUnknown,
  stringField,
} from './destination-fields';
export type { DestinationBody } from './destination-fields';
export { DeliveryError } from './transports/transport';
export type { DeliveredEvent, DeliveryBatch, DestinationTransport } from './transports/transport';
export {
  WebhookTransport,
  WEBHOOK_HEADERS,
  webhookSignature,
} from './transports/webhook-transport';
export type { WebhookSettings } from './transports/webhook-transport';
export { SplunkHecTransport, hecEndpoint } from './transports/splunk-hec-transport';
export type { SplunkHecSettings } from './transports/splunk-hec-transport';
export { SyslogTransport } from './transports/syslog-transport';
export type { SyslogTlsOptions, SyslogTransportOptions } from './transports/syslog-transport';
export { FileTransport } from './transports/file-transport';
export type { FileTransportLine, FileTransportOptions } from './transports/file-transport';
