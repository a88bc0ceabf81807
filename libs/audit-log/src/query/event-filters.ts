import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsIP,
  IsString,
  Matches,
  MaxLength,
  Validate,
  ValidateIf,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { ApiPropertyOptional } from '../http/openapi/swagger';
import { LocationMatch, parseLocationFilter } from '../location/location-filter';
import { CURSOR_MAX_LENGTH } from './cursor';

@ValidatorConstraint({ name: 'noNul' })
class NoNulConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value !== 'string' || !value.includes('\0');
  }

  defaultMessage(): string {
    return 'must not contain NUL characters';
  }
}

// A lone surrogate cannot be stored in utf8mb4, nor in the event that records an export.
@ValidatorConstraint({ name: 'wellFormed' })
class WellFormedConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value !== 'string' || value.isWellFormed();
  }

  defaultMessage(): string {
    return 'contains a lone surrogate (not valid Unicode)';
  }
}

@ValidatorConstraint({ name: 'locationFilter' })
class LocationFilterConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return !('error' in parseLocationFilter(value));
  }

  defaultMessage(args: ValidationArguments): string {
    const parsed = parseLocationFilter(args.value);
    return 'error' in parsed ? parsed.error : 'is not a location filter';
  }
}

/** The filters of GET events and of an export, parsed and checked. */
export interface EventFilters {
  /** Exact term, normalized (NFC, trimmed, lower case). */
  q?: string;
  /** Inclusive bounds, epoch ms. */
  from?: number;
  to?: number;
  actions?: string[];
  category?: string;
  /** Actor ids: an event matches when its actor is any of them. */
  actor?: string[];
  /** IP addresses: an event matches when it was recorded from any of them. */
  ip?: string[];
  /** Products: an event matches when it concerns any of them. */
  product?: string[];
  /** Events at any of these locations (docs/api.md, `location`). */
  locations?: LocationMatch[];
  /**
   * GET events only: `asc` pages oldest first; left out, newest first. Not a filter, but part of
   * the query a cursor continues.
   */
  sortOrder?: 'asc' | 'desc';
}

/**
 * The most values a multi-value filter (`action`, `actor`, `ip`, `product`) takes. Every value
 * is a placeholder of an `IN (...)` and travels in the cursors of the query, so it is bounded.
 */
export const MAX_FILTER_VALUES = 50;

/**
 * A list filter as a list. Exports requested before `actor`, `ip` and `product` took lists keep
 * a single string in their stored filters.
 */
export function asList(value: readonly string[] | string): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

const tooMany = `must hold at most ${MAX_FILTER_VALUES} values`;

// Absent is no filter; null is refused like any other non-string (@IsOptional would let it
// through), so that a client's unset variable cannot widen an export to the whole log.
const present = (_o: object, value: unknown) => value !== undefined;

const DATE =
  /^(\d{1,15}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)$/;
const dateMessage = 'must be epoch milliseconds or an ISO 8601 date-time';

/** The OpenAPI description of a multi-value filter: one value, a comma list, or an array. */
function listProperty(what: string, maxLength: number) {
  return {
    oneOf: [
      { type: 'string' },
      { type: 'array', maxItems: MAX_FILTER_VALUES, items: { type: 'string', maxLength } },
    ],
    description: `${what}, a comma list, or an array of them (at most ${MAX_FILTER_VALUES}).`,
  };
}

// A repeated parameter arrives as an array, a comma list as one string (Atlassian's
// `explode: false`); both mean a list. Blank items are dropped.
const toList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : ([] as unknown[])
        .concat(value)
        .flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]))
        .map((v) => (typeof v === 'string' ? v.trim() : v))
        .filter((v) => v !== '');

/** The raw filters as they arrive in a query string or an export's JSON body. */
export class EventFiltersDto {
  @ApiPropertyOptional({ maxLength: 1024, description: 'Exact term (see GET events).' })
  @ValidateIf(present)
  @IsString({ message: 'must be a single string' })
  @Validate(WellFormedConstraint)
  @MaxLength(1024, { message: 'must be at most 1024 characters' })
  @Validate(NoNulConstraint)
  q?: string;

  @ApiPropertyOptional({ description: 'Inclusive: epoch milliseconds or ISO 8601.' })
  @ValidateIf(present)
  @IsString({ message: dateMessage })
  @Matches(DATE, { message: dateMessage })
  from?: string;

  @ApiPropertyOptional({ description: 'Inclusive: epoch milliseconds or ISO 8601.' })
  @ValidateIf(present)
  @IsString({ message: dateMessage })
  @Matches(DATE, { message: dateMessage })
  to?: string;

  @ApiPropertyOptional(listProperty('An action id', 128))
  @ValidateIf(present)
  @Transform(toList)
  @IsArray({ message: 'must be an action id or a list of them' })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: tooMany })
  @IsString({ each: true, message: 'must hold action ids' })
  @Validate(WellFormedConstraint, { each: true })
  @MaxLength(128, { each: true, message: 'must hold action ids' })
  action?: string[];

  @ApiPropertyOptional({ maxLength: 128 })
  @ValidateIf(present)
  @IsString({ message: 'must be a single string' })
  @Validate(WellFormedConstraint)
  @MaxLength(128)
  category?: string;

  @ApiPropertyOptional(listProperty('An actor id', 255))
  @ValidateIf(present)
  @Transform(toList)
  @IsArray({ message: 'must be an actor id or a list of them' })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: tooMany })
  @IsString({ each: true, message: 'must hold actor ids' })
  @Validate(WellFormedConstraint, { each: true })
  @Validate(NoNulConstraint, { each: true })
  @MaxLength(255, { each: true, message: 'must hold actor ids of at most 255 characters' })
  actor?: string[];

  @ApiPropertyOptional(listProperty('An IPv4 or IPv6 address', 45))
  @ValidateIf(present)
  @Transform(toList)
  @IsArray({ message: 'must be an IP address or a list of them' })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: tooMany })
  @IsString({ each: true, message: 'must hold IPv4 or IPv6 addresses' })
  @IsIP(undefined, { each: true, message: 'must hold IPv4 or IPv6 addresses' })
  ip?: string[];

  @ApiPropertyOptional(listProperty('A product', 64))
  @ValidateIf(present)
  @Transform(toList)
  @IsArray({ message: 'must be a product or a list of them' })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: tooMany })
  @IsString({ each: true, message: 'must hold products' })
  @Validate(WellFormedConstraint, { each: true })
  @Validate(NoNulConstraint, { each: true })
  @MaxLength(64, { each: true, message: 'must hold products of at most 64 characters' })
  product?: string[];

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            countryName: { type: 'string' },
            regionName: { type: 'string' },
            city: { type: 'string' },
          },
        },
      },
    ],
    description:
      'Locations as JSON: [{"countryName": "Germany", "city": "Berlin"}]. An event matches any of them; each matches when all its fields equal the event\'s.',
  })
  @ValidateIf(present)
  @Validate(LocationFilterConstraint)
  location?: string | string[] | LocationMatch[];
}

/** GET events: the filters plus paging. */
export class EventListQueryDto extends EventFiltersDto {
  @ValidateIf(present)
  @IsString({ message: 'must be a whole number from 1 to 1000' })
  @Matches(/^\d{1,4}$/, { message: 'must be a whole number from 1 to 1000' })
  limit?: string;

  @ValidateIf(present)
  @IsIn(['asc', 'desc'], { message: 'must be asc or desc' })
  sortOrder?: string;

  @ValidateIf(present)
  @IsString({ message: 'must be the meta.next value of a previous page' })
  @MaxLength(CURSOR_MAX_LENGTH, { message: 'must be the meta.next value of a previous page' })
  cursor?: string;
}

/**
 * The query of a plain page request (only `limit`, `cursor` and `sortOrder`, each well-formed)
 * without class-validator, or undefined for anything else, which goes to `validateDto` and its
 * errors. A poller's "next page" and a `limit=1` check are most requests, and class-transformer
 * plus class-validator were a tenth of their time in the server.
 */
export function plainPageQuery(raw: Record<string, unknown>): EventListQueryDto | undefined {
  const out = new EventListQueryDto();
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (typeof value !== 'string') return undefined;
    if (key === 'limit' && /^\d{1,4}$/.test(value)) out.limit = value;
    else if (key === 'cursor' && value.length <= CURSOR_MAX_LENGTH) out.cursor = value;
    else if (key === 'sortOrder' && (value === 'asc' || value === 'desc')) out.sortOrder = value;
    else return undefined;
  }
  return out;
}

/** Parses `from`/`to`: epoch milliseconds or ISO 8601; a date alone is midnight UTC. */
export function parseInstant(value: string): number | undefined {
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const iso =
    value.length === 10
      ? `${value}T00:00:00Z`
      : /T\d{2}:\d{2}(:[\d.]+)?$/.test(value)
        ? `${value}Z`
        : value;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-31 over into March; a date that does not exist is an error.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d)
    return undefined;
  return ms;
}
