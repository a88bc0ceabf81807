import { applyDecorators } from '@nestjs/common';
import { buildMessage, IsEmail, IsString, Matches, MaxLength, ValidateBy } from 'class-validator';

/** The longest name the audit log stores (`EVENT_LIMITS.name`). */
export const MAX_NAME_LENGTH = 1024;
/** The longest e-mail address the audit log stores (`EVENT_LIMITS.email`). */
export const MAX_EMAIL_LENGTH = 320;

/**
 * Text the audit log can store exactly: well-formed Unicode (no lone surrogate) without NUL.
 * Refused here, with a 400 naming the field, rather than after the change was made.
 */
export function IsStorableText(): PropertyDecorator {
  return ValidateBy({
    name: 'isStorableText',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.isWellFormed() && !value.includes('\u0000'),
      defaultMessage: buildMessage(
        (prefix) => `${prefix}$property must be well-formed Unicode text without NUL characters`,
      ),
    },
  });
}

/** A display name: a string of 1 to 1024 characters, not only spaces. */
export const IsName = () =>
  applyDecorators(
    IsString(),
    MaxLength(MAX_NAME_LENGTH),
    Matches(/\S/, { message: '$property must not be empty' }),
    IsStorableText(),
  );

/** An e-mail address of at most 320 characters. */
export const IsEmailAddress = () => applyDecorators(IsEmail(), MaxLength(MAX_EMAIL_LENGTH));

/** The id of a directory object: `u-1`, `g-2`, ... (or a demo identity's id). */
export const IsEntityId = (options: { each?: boolean } = {}) =>
  applyDecorators(
    IsString(options),
    Matches(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,254}$/, {
      ...options,
      message: '$property must be an id (letters, digits, ".", "_", ":", "@" or "-")',
    }),
  );
