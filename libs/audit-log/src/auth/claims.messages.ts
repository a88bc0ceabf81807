import { CLAIM_LIMITS } from './claims';

/** The `email` claim cannot receive an export. The value is never echoed. */
export const invalidEmailClaimMessage = (): string =>
  `The "email" claim must be exactly one e-mail address (name@domain, at most ` +
  `${CLAIM_LIMITS.email} characters, no list, no display name); export files are mailed to it. ` +
  'Sign in with a token that carries your own e-mail address.';

/** The `name` claim cannot be put in an export e-mail. The value is never echoed. */
export const invalidNameClaimMessage = (): string =>
  `The "name" claim must be one line of at most ${CLAIM_LIMITS.name} characters without ` +
  'control characters; it is used in the export e-mail.';
