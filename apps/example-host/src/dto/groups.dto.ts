import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsName, IsStorableText } from '../validation/text.decorators';

export class CreateGroupDto {
  @IsName()
  name!: string;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  @IsStorableText()
  description?: string;
}

export class RenameGroupDto {
  @IsName()
  name!: string;
}
