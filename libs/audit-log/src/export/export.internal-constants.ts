/** Options with defaults merged. */
export const AUDIT_EXPORT_RESOLVED_OPTIONS = Symbol('AUDIT_EXPORT_RESOLVED_OPTIONS');
/** The ExportJobQueue (Bull or in-process). */
export const AUDIT_EXPORT_QUEUE = Symbol('AUDIT_EXPORT_QUEUE');
/** The ExportStorage finished files live in. */
export const AUDIT_EXPORT_STORAGE = Symbol('AUDIT_EXPORT_STORAGE');
/** The ExportMailer. */
export const AUDIT_EXPORT_MAILER = Symbol('AUDIT_EXPORT_MAILER');
/** The ExportLinkSigner. */
export const AUDIT_EXPORT_LINK_SIGNER = Symbol('AUDIT_EXPORT_LINK_SIGNER');

/** Name of the hourly cleanup in the SchedulerRegistry. */
export const EXPORT_CLEANUP_CRON = 'auditkit-export-cleanup';
/** Path of the download route under the admin API base. */
export const DOWNLOAD_PATH = 'admin/v1/exports/download';
/** `file=` value of the download route that serves the export's manifest instead of its CSV. */
export const MANIFEST_FILE = 'manifest';
/** Temporary files older than this are left from a worker that died; cleanup removes them. */
export const INCOMPLETE_FILE_MAX_AGE_MS = 60 * 60 * 1000;
/** Rows fetched per query while streaming an export. */
export const EXPORT_PAGE_SIZE = 1000;
