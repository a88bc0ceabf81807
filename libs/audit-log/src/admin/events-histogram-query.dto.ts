import { IsIn, IsString, Matches, ValidateIf } from 'class-validator';
import { EventFiltersDto } from '../query/event-filters';
import { ApiPropertyOptional } from '../http/openapi/swagger';

const present = (_o: object, value: unknown) => value !== undefined;

/** `±HH:MM`, from -12:00 to +14:00, in quarter hours (every offset in use). */
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;
export const UTC_OFFSET_MESSAGE =
  'must be a UTC offset such as +02:00 or -05:30, from -12:00 to +14:00 in quarter hours';

/** GET events-histogram: the filters of GET events plus the bucket width and the time zone. */
export class EventHistogramQueryDto extends EventFiltersDto {
  @ApiPropertyOptional({ enum: ['hour', 'day'] })
  @ValidateIf(present)
  @IsIn(['hour', 'day'], { message: 'must be hour or day' })
  interval?: 'hour' | 'day';

  @ApiPropertyOptional({ example: '+02:00' })
  @ValidateIf(present)
  @IsString({ message: UTC_OFFSET_MESSAGE })
  @Matches(OFFSET, { message: UTC_OFFSET_MESSAGE })
  utcOffset?: string;
}

/** Minutes east of UTC for a checked `utcOffset`; undefined when out of range. */
export function parseUtcOffset(value: string): number | undefined {
  const m = OFFSET.exec(value);
  if (!m) return undefined;
  const [hours, minutes] = [Number(m[2]), Number(m[3])];
  const total = (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
  return minutes % 15 === 0 && minutes < 60 && total >= -720 && total <= 840 ? total : undefined;
}

/** `±HH:MM` of minutes east of UTC. */
export function formatUtcOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
