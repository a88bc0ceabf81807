import { Type } from 'class-transformer';
import {
  Equals,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../http/openapi/swagger';

class PartyDto {
  @ApiProperty({ maxLength: 255 }) @IsString() id!: string;
  @ApiPropertyOptional({ description: 'Actor: `user` when left out.', maxLength: 64 })
  @IsOptional()
  @IsString()
  type?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional({ maxLength: 320 }) @IsOptional() @IsString() email?: string;
}

class SiteDto {
  @ApiProperty({ maxLength: 255 }) @IsString() id!: string;
  @ApiPropertyOptional({ maxLength: 1024 }) @IsOptional() @IsString() name?: string;
}

class LocationDto {
  @ApiPropertyOptional({ description: 'IPv4 or IPv6.' }) @IsOptional() @IsString() ip?: string;
  @ApiPropertyOptional({ maxLength: 1024 }) @IsOptional() @IsString() userAgent?: string;
}

/**
 * The body of POST events: the event of docs/api.md section 4 without id, seq and orgId. Shapes are
 * checked here; limits, the catalog and redaction by the same normalizer every path uses.
 */
export class IngestEventDto {
  @ApiProperty({ description: 'A catalog action id (docs/events.md).', example: 'group_created' })
  @IsString()
  action!: string;

  @ApiProperty({ type: () => PartyDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  actor!: PartyDto;

  @ApiPropertyOptional({ type: () => [PartyDto], maxItems: 100 })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PartyDto)
  targets?: PartyDto[];

  @ApiPropertyOptional({ type: () => SiteDto, nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsObject()
  @ValidateNested()
  @Type(() => SiteDto)
  site?: SiteDto | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 64 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  product?: string | null;

  @ApiPropertyOptional({ type: () => LocationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LocationDto)
  location?: LocationDto;

  @ApiPropertyOptional({ enum: ['success', 'failure'], default: 'success' })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'At most 16 KiB and 8 levels; secret-looking keys are redacted.',
  })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  // ISO 8601 text or epoch milliseconds, like `record()` and the `from`/`to` filters.
  @ApiPropertyOptional({
    oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }],
    description: 'When it happened: ISO 8601 or epoch milliseconds; now when left out.',
  })
  @IsOptional()
  @ValidateIf((_o, v) => typeof v !== 'number')
  @IsString({ message: 'time must be an ISO 8601 date-time or epoch milliseconds' })
  time?: string | number;

  // A category is derived from the action; one sent must agree, anything else is refused.
  @ApiPropertyOptional({ description: "Must be the action's category when sent." })
  @IsOptional()
  @IsString()
  category?: string;

  // Present at all, even null, is refused: @IsOptional would let null through.
  @ValidateIf((_o, v) => v !== undefined)
  @Equals(undefined, { message: 'is assigned by the server' })
  id?: never;
  @ValidateIf((_o, v) => v !== undefined)
  @Equals(undefined, { message: 'is assigned by the server' })
  seq?: never;
  @ValidateIf((_o, v) => v !== undefined)
  @Equals(undefined, { message: 'comes from the URL' })
  orgId?: never;
}
