/** An export mail's recipient is not exactly one address. The recipient is never echoed. */
export const invalidRecipientMessage = (): string =>
  'Invalid export e-mail recipient: expected exactly one address (name@domain), not a list, ' +
  'a display name or a string with line breaks';
