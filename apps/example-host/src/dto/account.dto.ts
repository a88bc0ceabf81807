import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { TWO_STEP_METHODS, TwoStepMethod } from '../directory/directory.models';
import { IsEmailAddress, IsName, IsStorableText } from '../validation/text.decorators';

export class ChangeEmailDto {
  @IsEmailAddress()
  email!: string;
}

export class ChangeNameDto {
  @IsName()
  name!: string;
}

/** Neither value is ever stored or recorded: the directory keeps a salted hash only. */
export class ChangePasswordDto {
  /** Required once the account has a password. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  currentPassword?: string;

  @IsString()
  @MinLength(12)
  @MaxLength(256)
  @IsStorableText()
  newPassword!: string;
}

export class EnableTwoStepDto {
  /** @default 'authenticator-app' */
  @IsOptional()
  @IsIn(TWO_STEP_METHODS)
  method?: TwoStepMethod;
}
