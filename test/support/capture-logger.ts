import { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line, for asserting what the library logs. */
export class CaptureLogger implements LoggerService {
  readonly lines: { level: string; context?: string; message: string }[] = [];

  log(message: unknown, context?: string): void {
    this.push('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?); the context is the last string.
    this.push(
      'error',
      message,
      rest.filter((r) => typeof r === 'string').pop() as string | undefined,
    );
  }
  warn(message: unknown, context?: string): void {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.push('verbose', message, context);
  }

  /** Lines of `level` (all levels when omitted) whose message matches `pattern`. */
  find(pattern: RegExp, level?: string): string[] {
    return this.lines
      .filter((l) => (!level || l.level === level) && pattern.test(l.message))
      .map((l) => l.message);
  }

  clear(): void {
    this.lines.length = 0;
  }

  private push(level: string, message: unknown, context?: string): void {
    this.lines.push({
      level,
      context,
      message: message instanceof Error ? message.message : String(message),
    });
  }
}
