import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { createTransport, type Transport, type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import StreamTransport from 'nodemailer/lib/stream-transport';
import { isValidEmailClaim } from '../../auth/claims';
import { invalidSmtpUrlMessage } from '../export.messages';
import { invalidRecipientMessage } from './export-mail.messages';

/** Where export mails go. */
export interface ExportTransportOptions {
  /**
   * `smtp://user:pass@host:port` or `smtps://...`. When absent, mails are written as `.eml` files
   * under `outboxDir` instead of being sent.
   * @default undefined (outbox)
   */
  smtpUrl?: string;
  /** The directory `.eml` files are written to when there is no `smtpUrl`; created on demand. */
  outboxDir: string;
}

/** What sending through the outbox reports: nodemailer's stream info plus the file written. */
export interface OutboxSentMessageInfo extends StreamTransport.SentMessageInfo {
  /** Absolute path of the `.eml` file. */
  path: string;
}

/** What sending reports, through SMTP or into the outbox. */
export type ExportSentMessageInfo = SMTPTransport.SentMessageInfo | OutboxSentMessageInfo;

/** Anything with a `log` method: Nest's `Logger`, `console`, a test double. */
export interface ExportMailerLogger {
  log(message: string): void;
}

/** Options of {@link ExportMailer}. */
export interface ExportMailerOptions extends ExportTransportOptions {
  /** Where outbox paths and links are reported. @default new Logger('ExportMailer') */
  logger?: ExportMailerLogger;
}

/** Extra facts about a mail that {@link ExportMailer.send} may log in outbox mode. */
export interface ExportMailContext {
  /** The mail's download link, logged so a developer without SMTP can follow it. */
  downloadUrl?: string;
}

function parseSmtpUrl(smtpUrl: string): void {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new TypeError(invalidSmtpUrlMessage());
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new TypeError(invalidSmtpUrlMessage());
  }
}

/**
 * nodemailer's stream transport, with each compiled message saved as an `.eml` file. The file is
 * written under a temporary name and renamed, so a watcher never opens half a message, and it
 * is readable by its owner only: it holds a working download link.
 */
class OutboxTransport implements Transport<OutboxSentMessageInfo> {
  readonly name = 'AuditKitOutbox';
  readonly version = '1.0.0';
  private readonly stream = new StreamTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
  });

  constructor(private readonly directory: string) {}

  send(
    mail: MailMessage<OutboxSentMessageInfo>,
    callback: (err: Error | null, info: OutboxSentMessageInfo) => void,
  ): void {
    this.stream.send(
      mail as unknown as MailMessage<StreamTransport.SentMessageInfo>,
      (err, info) => {
        if (err) {
          callback(err, undefined as unknown as OutboxSentMessageInfo);
          return;
        }
        this.save(info.message as Buffer).then(
          (path) => callback(null, { ...info, path }),
          (saveErr: Error) => callback(saveErr, undefined as unknown as OutboxSentMessageInfo),
        );
      },
    );
  }

  close(): void {
    // Nothing is held open between messages.
  }

  private async save(message: Buffer): Promise<string> {
    await mkdir(this.directory, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${stamp}-${randomBytes(4).toString('hex')}.eml`;
    const path = join(this.directory, name);
    const temp = join(this.directory, `.${name}.tmp`);
    try {
      await writeFile(temp, message, { mode: 0o600, flag: 'wx' });
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return path;
  }
}

/**
 * The nodemailer transporter for export mails: SMTP when `smtpUrl` is given, otherwise an
 * outbox that writes every message as an `.eml` file under `outboxDir` and reports its `path`.
 * @throws TypeError when `smtpUrl` is not an smtp:// or smtps:// URL (the URL is not echoed)
 */
export function createExportTransport(
  options: ExportTransportOptions,
): Transporter<ExportSentMessageInfo> {
  if (options.smtpUrl) {
    parseSmtpUrl(options.smtpUrl);
    return createTransport(options.smtpUrl);
  }
  if (!options.outboxDir) {
    throw new TypeError('createExportTransport needs an outboxDir when no smtpUrl is given');
  }
  return createTransport(
    new OutboxTransport(resolve(options.outboxDir)),
  ) as unknown as Transporter<ExportSentMessageInfo>;
}

/**
 * The message's one recipient as an address object, which nodemailer takes as it is: a string
 * would be parsed, and `a@x.test, b@evil.test` or `"a@x.test, b"@evil.test` would become a list
 * or another mailbox.
 */
function oneRecipient(message: Mail.Options): Mail.Address {
  const to = message.to;
  const address = typeof to === 'string' ? to : isAddress(to) ? to.address : undefined;
  if (!isValidEmailClaim(address) || message.cc || message.bcc) {
    throw new TypeError(invalidRecipientMessage());
  }
  return { name: isAddress(to) ? to.name : '', address };
}

function isAddress(value: unknown): value is Mail.Address {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as Mail.Address).address === 'string'
  );
}

function isOutboxInfo(info: ExportSentMessageInfo): info is OutboxSentMessageInfo {
  return typeof (info as Partial<OutboxSentMessageInfo>).path === 'string';
}

/**
 * Sends export mails through {@link createExportTransport}. In outbox mode it logs where each
 * `.eml` went and the download link, so development works without SMTP; in SMTP mode it logs
 * only the Message-ID. It never logs recipients, credentials or the SMTP URL.
 */
export class ExportMailer {
  private readonly transporter: Transporter<ExportSentMessageInfo>;
  private readonly logger: ExportMailerLogger;

  constructor(options: ExportMailerOptions) {
    this.transporter = createExportTransport(options);
    this.logger = options.logger ?? new Logger('ExportMailer');
  }

  /**
   * Sends `message` to its one recipient; rejects when the SMTP server refuses it or the outbox
   * cannot be written.
   * @throws TypeError (nothing sent) when `to` is not exactly one address, or `cc` / `bcc` is set
   */
  async send(message: Mail.Options, context: ExportMailContext = {}): Promise<void> {
    const info = await this.transporter.sendMail({ ...message, to: oneRecipient(message) });
    if (isOutboxInfo(info)) {
      const link = context.downloadUrl ? `; download link: ${context.downloadUrl}` : '';
      this.logger.log(`Export e-mail written to ${info.path}${link}`);
    } else {
      this.logger.log(`Export e-mail sent (${info.messageId})`);
    }
  }

  /** Closes pooled SMTP connections; safe to call in outbox mode. */
  close(): void {
    this.transporter.close();
  }
}
