import { Transform } from 'class-transformer';
import {
  IsArray,
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
  actor?: string;
  ip?: string;
  product?: string;
  /** Events at any of these locations (docs/api.md, `location`). */
  locations?: LocationMatch[];
}

// Absent is no filter; null is refused like any other non-string (@IsOptional would let it
// through), so that a client's unset variable cannot widen an export to the whole log.
const present = (_o: object, value: unknown) => value !== undefined;

const DATE =
  /^(\d{1,15}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)$/;
const dateMessage = 'must be epoch milliseconds or an ISO 8601 date-time';

// A repeated parameter arrives as an array, a comma list as one string; both mean a list.
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

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', maxLength: 128 } }],
    description: 'An action id, a comma list, or an array of them.',
  })
  @ValidateIf(present)
  @Transform(toList)
  @IsArray({ message: 'must be an action id or a list of them' })
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

  @ApiPropertyOptional({ maxLength: 255, description: 'An actor id.' })
  @ValidateIf(present)
  @IsString({ message: 'must be a single string' })
  @Validate(WellFormedConstraint)
  @MaxLength(255)
  actor?: string;

  @ApiPropertyOptional({ description: 'An IPv4 or IPv6 address.' })
  @ValidateIf(present)
  @IsString({ message: 'must be a single string' })
  @IsIP(undefined, { message: 'must be an IPv4 or IPv6 address' })
  ip?: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @ValidateIf(present)
  @IsString({ message: 'must be a single string' })
  @Validate(WellFormedConstraint)
  @MaxLength(64)
  product?: string;

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
  @IsString({ message: 'must be the meta.next value of a previous page' })
  @MaxLength(1024, { message: 'must be the meta.next value of a previous page' })
  cursor?: string;
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
