/** The key given to an export storage is not a plain, safe file name. */
export const invalidStorageKeyMessage = (key: unknown): string =>
  `Invalid export storage key ${JSON.stringify(String(key)).slice(0, 80)}: use 1 to 200 characters ` +
  'of A-Z, a-z, 0-9, ".", "_" or "-", not starting with "."';

/** The SMTP URL given to the export mailer cannot be used. The URL itself is never echoed. */
export const invalidSmtpUrlMessage = (): string =>
  'Invalid SMTP URL for export e-mails: expected smtp://[user:pass@]host[:port] or smtps://...';

/** A download link must be an absolute http(s) URL. */
export const invalidDownloadUrlMessage = (): string =>
  'Invalid export download URL: expected an absolute http:// or https:// URL';
