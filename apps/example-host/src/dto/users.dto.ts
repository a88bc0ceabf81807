import { ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsOptional } from 'class-validator';
import { PRODUCTS, Product } from '../directory/directory.models';
import { IsEmailAddress, IsEntityId, IsName } from '../validation/text.decorators';

export class InviteUserDto {
  @IsEmailAddress()
  email!: string;

  /** @default the part of the e-mail address before `@` */
  @IsOptional()
  @IsName()
  name?: string;

  @IsEntityId()
  siteId!: string;
}

export class UserRefDto {
  @IsEntityId()
  userId!: string;
}

export class GroupRefDto {
  @IsEntityId()
  groupId!: string;
}

export class CreateSiteDto {
  /** A host name such as `acme.atlassian.test`. */
  @IsName()
  name!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(PRODUCTS, { each: true })
  products!: Product[];
}
