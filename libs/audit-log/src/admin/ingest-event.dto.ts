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

class PartyDto {
  @IsString() id!: string;
  @IsOptional() @IsString() type?: string;
  @IsOptional() @IsString() name?: string;
  @IsOptional() @IsString() email?: string;
}

class SiteDto {
  @IsString() id!: string;
  @IsOptional() @IsString() name?: string;
}

class LocationDto {
  @IsOptional() @IsString() ip?: string;
  @IsOptional() @IsString() userAgent?: string;
}

/**
 * The body of POST events: the event of docs/api.md section 4 without id, seq and orgId. Shapes are
 * checked here; limits, the catalog and redaction by the same normalizer every path uses.
 */
export class IngestEventDto {
  @IsString() action!: string;

  @IsObject() @ValidateNested() @Type(() => PartyDto) actor!: PartyDto;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PartyDto)
  targets?: PartyDto[];

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsObject()
  @ValidateNested()
  @Type(() => SiteDto)
  site?: SiteDto | null;

  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsString() product?: string | null;

  @IsOptional() @IsObject() @ValidateNested() @Type(() => LocationDto) location?: LocationDto;

  @IsOptional() @IsIn(['success', 'failure']) outcome?: 'success' | 'failure';

  @IsOptional() @IsObject() metadata?: Record<string, unknown>;

  // ISO 8601 text or epoch milliseconds, like `record()` and the `from`/`to` filters.
  @IsOptional()
  @ValidateIf((_o, v) => typeof v !== 'number')
  @IsString({ message: 'time must be an ISO 8601 date-time or epoch milliseconds' })
  time?: string | number;

  // A category is derived from the action; one sent must agree, anything else is refused.
  @IsOptional() @IsString() category?: string;

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
