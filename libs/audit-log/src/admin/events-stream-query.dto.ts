import { IsIn, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

// Absent is no filter; null and arrays (a repeated parameter) are refused, as on GET events.
const present = (_o: object, value: unknown) => value !== undefined;

// The same forms GET events takes (query/event-filters.ts); parseInstant then checks the date.
const DATE =
  /^(\d{1,15}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)$/;
const dateMessage = 'must be epoch milliseconds or an ISO 8601 date-time';

/** Largest and default page of GET events-stream (Atlassian's: 500 and 200). */
export const STREAM_MAX_LIMIT = 500;
export const STREAM_DEFAULT_LIMIT = 200;
/** The detail of a 400 for `limit`. */
export const STREAM_LIMIT_MESSAGE = `must be a whole number from 1 to ${STREAM_MAX_LIMIT}`;

/**
 * The query of GET events-stream, as Atlassian's poll API has it: time bounds, the order, the
 * page size and the cursor. Anything else (q, action...) is refused, since the stream does not
 * filter on it; GET events does.
 */
export class EventStreamQueryDto {
  @ValidateIf(present)
  @IsString({ message: dateMessage })
  @Matches(DATE, { message: dateMessage })
  from?: string;

  @ValidateIf(present)
  @IsString({ message: dateMessage })
  @Matches(DATE, { message: dateMessage })
  to?: string;

  @ValidateIf(present)
  @IsIn(['asc', 'desc'], { message: 'must be asc or desc' })
  sortOrder?: string;

  @ValidateIf(present)
  @IsString({ message: STREAM_LIMIT_MESSAGE })
  @Matches(/^\d{1,4}$/, { message: STREAM_LIMIT_MESSAGE })
  limit?: string;

  @ValidateIf(present)
  @IsString({ message: 'must be the meta.next value of a previous page' })
  @MaxLength(1024, { message: 'must be the meta.next value of a previous page' })
  cursor?: string;
}

/** The page size of a checked query: the default, or 1 to 500; undefined when out of range. */
export function streamLimit(dto: EventStreamQueryDto): number | undefined {
  const limit = dto.limit === undefined ? STREAM_DEFAULT_LIMIT : Number(dto.limit);
  return Number.isInteger(limit) && limit >= 1 && limit <= STREAM_MAX_LIMIT ? limit : undefined;
}
