import { dbIpLocationResolver, DbIpLocationResolver } from '@auditkit/nestjs/location';
import { addressBytes } from '../../libs/audit-log/src/location/dbip-location-resolver';

// The resolver against the data the package really ships. Addresses whose place is stable for
// years: Google's and Cloudflare's public resolvers, Heise's and the BBC's old blocks.
describe('dbIpLocationResolver on the shipped DB-IP data', () => {
  let resolve: DbIpLocationResolver;

  beforeAll(() => {
    resolve = dbIpLocationResolver();
  });
  afterAll(() => resolve?.close());

  it.each([
    ['8.8.8.8', 'United States', 'California'],
    ['1.1.1.1', 'Australia', 'New South Wales'],
    ['193.99.144.80', 'Germany', 'Lower Saxony'],
    ['2001:4860:4860::8888', 'Canada', 'Quebec'],
    ['::ffff:8.8.8.8', 'United States', 'California'],
  ])('%s is in %s (%s)', (ip, countryName, regionName) => {
    const found = resolve(ip);
    expect(found).toMatchObject({ countryName, regionName });
    expect(typeof found?.city).toBe('string');
  });

  it.each(['10.0.0.1', '127.0.0.1', '192.168.1.1', '172.16.0.1', '::1', 'fe80::1', '203.0.113.7'])(
    'a private or reserved address (%s) has no location',
    (ip) => {
      expect(resolve(ip)).toBeUndefined();
    },
  );

  it('an invalid address has no location', () => {
    expect(resolve('not-an-ip')).toBeUndefined();
    expect(resolve('999.1.1.1')).toBeUndefined();
  });

  it('says how fresh the data is', () => {
    expect(resolve.builtAt.getTime()).toBeGreaterThan(Date.UTC(2025, 0, 1));
    expect(resolve.builtAt.getTime()).toBeLessThan(Date.now());
  });

  it('parses IPv6 forms into network-order bytes', () => {
    expect(Buffer.from(addressBytes('2001:db8::1')!).toString('hex')).toBe(
      '20010db8000000000000000000000001',
    );
    expect([...addressBytes('::ffff:192.0.2.1')!]).toEqual([192, 0, 2, 1]);
    expect(addressBytes('::')!.length).toBe(16);
  });

  it('refuses bad options and a folder without the data', () => {
    expect(() => dbIpLocationResolver({ cachePages: 0 })).toThrow(/cachePages/);
    expect(() => dbIpLocationResolver({ directory: __dirname })).toThrow(/ENOENT/);
  });
});
