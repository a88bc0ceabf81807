import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on a free loopback port that keeps every message it accepts, parsed. */
export class SmtpSink {
  /** Every message accepted so far, in arrival order. */
  readonly messages: ParsedMail[] = [];
  private readonly holds: (() => void)[] = [];
  private readonly server: SMTPServer;
  private port = 0;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (err) => callback(err));
        stream.on('end', () => {
          const hold = this.holds.shift();
          if (hold) {
            // Never answered: the sender is left waiting for "250" until its connection dies.
            hold();
            return;
          }
          // Accepted only once parsed, so a message is listed by the time the sender hears 250.
          simpleParser(Buffer.concat(chunks)).then(
            (mail) => {
              this.messages.push(mail);
              callback();
            },
            (err: Error) => callback(err),
          );
        });
      },
    });
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => resolve());
    });
    sink.port = (
      sink.server as unknown as { server: { address(): AddressInfo } }
    ).server.address().port;
    return sink;
  }

  /** `smtp://127.0.0.1:<port>` */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /**
   * Reads the next message but never answers it; resolves once the whole message has arrived
   * (the sender is then between handing the message over and hearing it was accepted).
   */
  holdNextMessage(): Promise<void> {
    return new Promise((resolve) => this.holds.push(resolve));
  }

  /** Messages whose Message-ID names the export. */
  forExport(exportId: string): ParsedMail[] {
    return this.messages.filter((m) => (m.messageId ?? '').includes(exportId));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
