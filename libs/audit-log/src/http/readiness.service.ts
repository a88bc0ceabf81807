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

  /** Whether a check named `name` is registered. */
  has(name: string): boolean {
    return this.checks.has(name);
  }

  /** Runs the check `name`; rejects when it fails, is unknown, or does not answer in time. */
  async check(name: string, timeoutMs = 2000): Promise<void> {
    const check = this.checks.get(name);
    if (!check) throw new Error(`no readiness check named ${name}`);
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
    } finally {
      clearTimeout(timer);
    }
  }

  async run(timeoutMs = 2000): Promise<{
    ready: boolean;
    checks: Record<string, { status: 'up' | 'down'; error?: string }>;
  }> {
    const results: Record<string, { status: 'up' | 'down'; error?: string }> = {};
    await Promise.all(
      [...this.checks.keys()].map(async (name) => {
        try {
          await this.check(name, timeoutMs);
          results[name] = { status: 'up' };
        } catch (err) {
          results[name] = { status: 'down', error: (err as Error).message };
        }
      }),
    );
    return { ready: Object.values(results).every((r) => r.status === 'up'), checks: results };
  }
}
