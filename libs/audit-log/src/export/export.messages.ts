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

/** An option of `AuditExportModule` cannot be used; names the option, never echoes secrets. */
export const invalidExportOptionMessage = (option: string, problem: string): string =>
  `AuditExportModule: options.${option} ${problem}`;

/** Logged once at start when there is no Redis. */
export const inProcessQueueMessage = (): string =>
  'AuditExportModule: no redisUrl; export jobs run in this process (dev only: a restart loses ' +
  'nothing, but jobs are not shared between processes). Set redisUrl in production.';

/** Logged when the export routes are loaded without the admin plugin that authenticates them. */
export const adminPluginMissingMessage = (): string =>
  'AuditExportModule: AuditAdminModule is not imported in this app; the export routes cannot ' +
  'authenticate anyone and answer every request with an error. Import AuditAdminModule.forRoot().';

/** An export was queued but its job could not be handed to the queue right away. */
export const enqueueFailedMessage = (exportId: string, err: unknown): string =>
  `Export ${exportId} is stored but could not be queued yet (${describeError(err)}); ` +
  'the recovery sweep of a worker will queue it.';

/** One attempt of an export failed; it will be retried. */
export const exportAttemptFailedMessage = (
  exportId: string,
  attempt: number,
  err: unknown,
): string => `Export ${exportId} attempt ${attempt} failed: ${describeError(err)}`;

/** An export failed for good. */
export const exportFailedMessage = (exportId: string, err: unknown): string =>
  `Export ${exportId} failed for good: ${describeError(err)}`;

/** A file (the CSV or its manifest) of a failed export could not be deleted. */
export const exportFileNotDeletedMessage = (exportId: string, key: string, err: unknown): string =>
  `Export ${exportId} failed and its file ${key} could not be deleted: ${describeError(err)}`;

/** The queue reported a problem (Redis unreachable, a job lost with a Redis restart...). */
export const queueErrorMessage = (err: unknown): string => `Export queue: ${describeError(err)}`;

/** Another worker holds the mail claim of an export; this attempt backs off. */
export const mailClaimedElsewhereMessage = (exportId: string): string =>
  `Export ${exportId}: another worker is sending its e-mail; retrying later`;

/** What a user sees when an export failed; raw errors stay in the logs. */
export const EXPORT_FAILED_REASON = 'An internal error stopped the export.';

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
