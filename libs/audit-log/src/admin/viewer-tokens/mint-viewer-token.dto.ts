import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { ApiPropertyOptional } from '../../http/openapi/swagger';
import { MAX_FILTER_VALUES } from '../../query/event-filters';

// Absent is "not narrowed"; null is refused like any other non-value, so that a host's unset
// variable cannot widen a token.
const present = (_o: object, value: unknown) => value !== undefined;
const list = `must be a list of 1 to ${MAX_FILTER_VALUES} strings`;

/**
 * The body of POST viewer-tokens. The service checks the rest (known actions, the maximum life,
 * the e-mail's form) and names the field the same way.
 */
export class MintViewerTokenDto {
  @ApiPropertyOptional({
    minimum: 1,
    description: 'Life in seconds; default 900, at most viewerTokens.maxTtlSeconds (86400).',
    example: 900,
  })
  @ValidateIf(present)
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(1, { message: 'must be a whole number of seconds' })
  ttlSeconds?: number;

  @ApiPropertyOptional({
    maxLength: 255,
    description: "The host's user the token is for (shown by the viewer; grants nothing).",
  })
  @ValidateIf(present)
  @IsString({ message: 'must be one line of 1 to 255 characters' })
  @MaxLength(255, { message: 'must be one line of 1 to 255 characters' })
  subject?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_FILTER_VALUES,
    description: 'Only these actions (ids of GET event-actions).',
  })
  @ValidateIf(present)
  @IsArray({ message: list })
  @ArrayNotEmpty({ message: list })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: list })
  @IsString({ each: true, message: list })
  actions?: string[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_FILTER_VALUES,
    description: 'Only events of these actor ids.',
  })
  @ValidateIf(present)
  @IsArray({ message: list })
  @ArrayNotEmpty({ message: list })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: list })
  @IsString({ each: true, message: list })
  actors?: string[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_FILTER_VALUES,
    description: 'Only events concerning these products.',
  })
  @ValidateIf(present)
  @IsArray({ message: list })
  @ArrayNotEmpty({ message: list })
  @ArrayMaxSize(MAX_FILTER_VALUES, { message: list })
  @IsString({ each: true, message: list })
  products?: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Only events at or after this time (ISO 8601).',
  })
  @ValidateIf(present)
  @IsString({ message: 'must be an ISO 8601 date-time' })
  @Matches(/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/, {
    message: 'must be an ISO 8601 date-time with its offset',
  })
  from?: string;

  @ApiPropertyOptional({
    format: 'email',
    description: 'Allows exports, e-mailed to this address; without it the token cannot export.',
  })
  @ValidateIf(present)
  @IsString({ message: 'must be one e-mail address' })
  exportEmail?: string;
}
