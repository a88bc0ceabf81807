import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ApiProperty } from '../../http/openapi/swagger';
import { API_KEY_MAX_DAYS, API_KEY_SCOPES } from './api-key.service';

/** The body of POST api-keys. */
export class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for, one line.', maxLength: 100, example: 'siem' })
  @IsString({ message: 'must be a name of 1 to 100 characters' })
  @MaxLength(100, { message: 'must be a name of 1 to 100 characters' })
  // One line of visible text: no control characters, not blank.
  @Matches(/^(?!\s*$)[^\p{Cc}\u2028\u2029]+$/u, {
    message: 'must be one line of 1 to 100 characters, not blank',
  })
  name!: string;

  @ApiProperty({
    type: [String],
    enum: API_KEY_SCOPES,
    description: 'What the key may do: read events, record events, request exports.',
    example: ['events:read'],
  })
  @IsArray({ message: `must be a list of ${API_KEY_SCOPES.join(', ')}` })
  @ArrayNotEmpty({ message: 'must name at least one scope' })
  @ArrayMaxSize(API_KEY_SCOPES.length, { message: 'must name each scope at most once' })
  @IsIn(API_KEY_SCOPES, { each: true, message: `must hold only ${API_KEY_SCOPES.join(', ')}` })
  scope!: string[];

  @ApiProperty({ minimum: 1, maximum: API_KEY_MAX_DAYS, example: 30 })
  @IsInt({ message: `must be a whole number of days from 1 to ${API_KEY_MAX_DAYS}` })
  @Min(1, { message: `must be a whole number of days from 1 to ${API_KEY_MAX_DAYS}` })
  @Max(API_KEY_MAX_DAYS, {
    message: `must be a whole number of days from 1 to ${API_KEY_MAX_DAYS}`,
  })
  expiresInDays!: number;
}
