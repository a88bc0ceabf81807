import type Mail from 'nodemailer/lib/mailer';
import { isValidEmailClaim } from '../../auth/claims';
import { invalidDownloadUrlMessage } from '../export.messages';
import { invalidRecipientMessage } from './export-mail.messages';

/** Subject of the mail sent when an export is ready (docs/api.md section 5). */
export const EXPORT_READY_SUBJECT = 'Your audit log is ready to download';

/** Subject of the mail sent when an export could not be made. */
export const EXPORT_FAILED_SUBJECT = 'Your audit log export failed';

/** Label of the download link in both parts of the ready mail. */
export const DOWNLOAD_LINK_LABEL = 'Download audit log';

/** Label of the export manifest's link in both parts of the ready mail. */
export const MANIFEST_LINK_LABEL = 'Download manifest';

/** Who an export mail goes to and comes from. */
export interface ExportMailRecipient {
  /** The requesting admin's e-mail address: exactly one (see `isValidEmailClaim`). */
  to: string;
  /** The admin's display name, used on one line in the greeting and the `To` header. */
  recipientName?: string;
  /** The org the export is of. */
  orgId: string;
  /** A display name of the org. @default orgId */
  orgName?: string;
  /** The sender, e.g. `AuditKit <no-reply@localhost>`. */
  from: string | Mail.Address;
}

/** Input of {@link buildExportReadyMail}. */
export interface ExportReadyMailOptions extends ExportMailRecipient {
  /** The signed download link; an absolute http(s) URL. */
  downloadUrl: string;
  /**
   * The link to the export's manifest (what the file holds, its SHA-256, signed); an absolute
   * http(s) URL. @default none: the mail has no manifest link
   */
  manifestUrl?: string;
  /** When the link stops working. */
  expiresAt: Date;
  /** Data rows in the file. */
  rowCount: number;
  /** Whether more events matched than the file holds. */
  truncated: boolean;
  /** The export cap the file was cut at. */
  maxRows: number;
}

/** Input of {@link buildExportFailedMail}. */
export interface ExportFailedMailOptions extends ExportMailRecipient {
  /** Where the admin can export again, e.g. the admin UI; omitted from the mail when absent. */
  retryUrl?: string;
  /**
   * A short explanation safe to show the admin. Never pass a raw error message: it can hold
   * hosts, SQL or paths.
   */
  reason?: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `value` safe to place in HTML text and in a double- or single-quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

function assertHttpUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(invalidDownloadUrlMessage());
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(invalidDownloadUrlMessage());
  }
}

function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** `name` on one line: control characters and line separators become spaces. */
function oneLine(name: string | undefined): string {
  return (name ?? '')
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

function greeting(name: string | undefined): string {
  const line = oneLine(name);
  return line ? `Hi ${line},` : 'Hello,';
}

function addressee(options: ExportMailRecipient): Mail.Address {
  // Requests are checked before they are queued; this is the last line for anything older.
  if (!isValidEmailClaim(options.to)) throw new TypeError(invalidRecipientMessage());
  // An address object: nodemailer encodes the name whatever it holds, and never parses a list
  // or a display name out of the address.
  return { name: oneLine(options.recipientName), address: options.to };
}

function htmlDocument(paragraphs: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; ' +
      'font-size: 14px; line-height: 1.5; color: #172b4d;">',
    ...paragraphs.map((p) => `<p>${p}</p>`),
    '</body></html>',
  ].join('\n');
}

/** Marks the mail as machine-sent (RFC 3834), so auto-responders leave it alone. */
const AUTOMATED_HEADERS = { 'Auto-Submitted': 'auto-generated' };

/**
 * The mail telling an admin that an export is ready: subject {@link EXPORT_READY_SUBJECT}, an
 * HTML and a text part with a {@link DOWNLOAD_LINK_LABEL} link (and a {@link MANIFEST_LINK_LABEL}
 * link when `manifestUrl` is given), when it expires and, when the
 * file was cut at the cap, that only the newest rows are in it. Names are HTML-escaped.
 * @throws TypeError when `downloadUrl` is not an absolute http(s) URL, or `to` not one address
 */
export function buildExportReadyMail(options: ExportReadyMailOptions): Mail.Options {
  assertHttpUrl(options.downloadUrl);
  if (options.manifestUrl !== undefined) assertHttpUrl(options.manifestUrl);
  const org = options.orgName?.trim() || options.orgId;
  const expires = formatUtc(options.expiresAt);
  const rows = formatCount(options.rowCount, 'event', 'events');
  const cap = formatCount(options.maxRows, 'row', 'rows');

  const summary =
    options.rowCount === 0
      ? 'No events matched your filters, so the file holds only the header row.'
      : `It holds ${rows}, newest first.`;
  const truncatedNote = `More events matched your filters than an export holds: only the newest ${cap} were included. Narrow the filters (for example the date range) and export again to get the rest.`;
  const manifestNote =
    "The manifest states what the file holds (its row count and SHA-256), so that the file can be checked offline later (AuditKit's verify-export command).";
  const expiryNote = `The link works until ${expires} and needs no sign-in, so do not forward this e-mail. After that, export the log again.`;

  const text = [
    greeting(options.recipientName),
    `The audit log export you requested for ${org} is ready. ${summary}`,
    `${DOWNLOAD_LINK_LABEL}: ${options.downloadUrl}`,
    ...(options.manifestUrl
      ? [`${MANIFEST_LINK_LABEL}: ${options.manifestUrl}\n${manifestNote}`]
      : []),
    ...(options.truncated ? [truncatedNote] : []),
    expiryNote,
    '- AuditKit',
  ].join('\n\n');

  const html = htmlDocument([
    escapeHtml(greeting(options.recipientName)),
    `The audit log export you requested for <strong>${escapeHtml(org)}</strong> is ready. ${escapeHtml(summary)}`,
    `<a href="${escapeHtml(options.downloadUrl)}">${DOWNLOAD_LINK_LABEL}</a>`,
    ...(options.manifestUrl
      ? [
          `<a href="${escapeHtml(options.manifestUrl)}">${MANIFEST_LINK_LABEL}</a><br>${escapeHtml(manifestNote)}`,
        ]
      : []),
    ...(options.truncated ? [escapeHtml(truncatedNote)] : []),
    escapeHtml(expiryNote),
    '&mdash; AuditKit',
  ]);

  return {
    from: options.from,
    to: addressee(options),
    subject: EXPORT_READY_SUBJECT,
    text: `${text}\n`,
    html,
    headers: AUTOMATED_HEADERS,
  };
}

/**
 * The mail telling an admin that an export could not be made and that they can export again.
 * Subject {@link EXPORT_FAILED_SUBJECT}; HTML and text parts; names are HTML-escaped.
 * @throws TypeError when `retryUrl` is given and is not an absolute http(s) URL, or `to` is not
 *   one address
 */
export function buildExportFailedMail(options: ExportFailedMailOptions): Mail.Options {
  if (options.retryUrl !== undefined) {
    assertHttpUrl(options.retryUrl);
  }
  const org = options.orgName?.trim() || options.orgId;
  const reason = options.reason?.trim();
  const intro = `The audit log export you requested for ${org} could not be created.`;
  const retry = 'Nothing was changed: you can export the log again at any time.';
  const support = 'If it keeps failing, contact the administrator of your AuditKit installation.';

  const text = [
    greeting(options.recipientName),
    intro,
    ...(reason ? [`Reason: ${reason}`] : []),
    retry,
    ...(options.retryUrl ? [`Export again: ${options.retryUrl}`] : []),
    support,
    '- AuditKit',
  ].join('\n\n');

  const html = htmlDocument([
    escapeHtml(greeting(options.recipientName)),
    `The audit log export you requested for <strong>${escapeHtml(org)}</strong> could not be created.`,
    ...(reason ? [`Reason: ${escapeHtml(reason)}`] : []),
    escapeHtml(retry),
    ...(options.retryUrl ? [`<a href="${escapeHtml(options.retryUrl)}">Export again</a>`] : []),
    escapeHtml(support),
    '&mdash; AuditKit',
  ]);

  return {
    from: options.from,
    to: addressee(options),
    subject: EXPORT_FAILED_SUBJECT,
    text: `${text}\n`,
    html,
    headers: AUTOMATED_HEADERS,
  };
}
