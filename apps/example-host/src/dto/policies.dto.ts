import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { POLICY_TYPES, PolicyType } from '../directory/directory.models';
import { IsEntityId, IsName } from '../validation/text.decorators';

export class PolicySettingsDto {
  @IsOptional()
  @IsBoolean()
  twoStepRequired?: boolean;

  /** Idle session timeout, 5 minutes to 30 days. */
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(43_200)
  sessionTimeoutMinutes?: number;

  @IsOptional()
  @IsBoolean()
  blockPublicLinks?: boolean;
}

export class CreatePolicyDto {
  @IsName()
  name!: string;

  @IsIn(POLICY_TYPES)
  type!: PolicyType;

  @IsOptional()
  @ValidateNested()
  @Type(() => PolicySettingsDto)
  settings?: PolicySettingsDto;
}

export class UpdatePolicyDto {
  @IsOptional()
  @IsName()
  name?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => PolicySettingsDto)
  settings?: PolicySettingsDto;
}

/** Users to add to or remove from a policy: one event names them all (with the policy). */
export class PolicyUsersDto {
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsEntityId({ each: true })
  userIds!: string[];
}
