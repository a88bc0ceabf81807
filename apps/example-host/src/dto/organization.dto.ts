import { IsString, MaxLength } from 'class-validator';
import { IsName, IsStorableText } from '../validation/text.decorators';

export class CreateOrgDto {
  @IsName()
  name!: string;
}

export class ChangeSettingDto {
  @IsString()
  @MaxLength(1024)
  @IsStorableText()
  value!: string;
}
