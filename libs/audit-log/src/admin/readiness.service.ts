import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';

/** A dependency `/readyz` checks; resolves when it answers, rejects when it does not. */
export type ReadinessCheck = () => Promise<void>;

/** What `/readyz` checks: the database always, plus what other modules add (Redis). */
@Injectable()
export class ReadinessService {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(@Inject(AUDIT_DATA_SOURCE) dataSource: DataSource) {
    this.checks.set('database', async () => {
      await dataSource.query('SELECT 1');
    });
  }

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async run(timeoutMs = 2000): Promise<{
    ready: boolean;
    checks: Record<string, { status: 'up' | 'down'; error?: string }>;
  }> {
    const results: Record<string, { status: 'up' | 'down'; error?: string }> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`no answer within ${timeoutMs} ms`)),
                timeoutMs,
              );
            }),
          ]);
          results[name] = { status: 'up' };
        } catch (err) {
          results[name] = { status: 'down', error: (err as Error).message };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: Object.values(results).every((r) => r.status === 'up'), checks: results };
  }
}
