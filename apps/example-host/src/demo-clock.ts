import type { AuditClock } from '@auditkit/nestjs';
import { prng } from './demo-data';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Options of `DemoClock`. */
export interface DemoClockOptions {
  /** How far back the story starts. */
  days: number;
  /** The random activities that follow the setup (`count` of `recordDemoActivity`). */
  activities: number;
  /** Where the story ends. @default Date.now() */
  end?: number;
  /** @default 20261125 */
  seed?: number;
}

/**
 * How busy an hour of the week is, relative to a weekday afternoon: working hours (UTC) carry
 * the load with a dip at lunch, evenings a little, nights and weekends almost nothing.
 */
export function hourWeight(time: number): number {
  const d = new Date(time);
  const hour = d.getUTCHours();
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  if (weekend) return hour >= 9 && hour < 18 ? 0.06 : 0.015;
  if (hour >= 8 && hour < 18) return hour === 12 ? 0.6 : 1;
  if (hour === 7 || (hour >= 18 && hour < 21)) return 0.25;
  return 0.02;
}

/**
 * The time the demo's story happens at, for the example host's `clock` option: requests are
 * answered now, but each is recorded at its moment in the story, so `npm start` opens on months
 * of history. The setup (the org, its users, groups and policies) is a few busy hours `days`
 * ago; the random activities then spread over the rest, with a daily and weekly rhythm, slowly
 * growing, and a few busy days. Times only move forward, so seqs follow time as they would have.
 */
export class DemoClock implements AuditClock {
  private current: number;
  private readonly times: number[];
  private next = -1;

  constructor(options: DemoClockOptions) {
    const end = options.end ?? Date.now();
    const random = prng(options.seed ?? 20261125);
    const start = end - options.days * DAY;
    this.current = start;
    // The random activities start once the setup's busy hours are over.
    const from = start + 4 * HOUR;
    const hours = Math.floor((end - from) / HOUR);
    const busy = new Set(Array.from({ length: 4 }, () => Math.floor(random() * (hours / 24))));
    const cumulative: number[] = [];
    let sum = 0;
    for (let h = 0; h < hours; h++) {
      const growth = 0.6 + (0.4 * h) / hours;
      const spike = busy.has(Math.floor(h / 24)) ? 4 : 1;
      sum += hourWeight(from + h * HOUR) * growth * spike;
      cumulative.push(sum);
    }
    this.times = Array.from({ length: options.activities }, () => {
      const target = random() * sum;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] < target) lo = mid + 1;
        else hi = mid;
      }
      return from + lo * HOUR + Math.floor(random() * HOUR);
    }).sort((a, b) => a - b);
  }

  now(): Date {
    return new Date(this.current);
  }

  /**
   * Moves the clock to the next request's moment: a minute or two on during the setup, the next
   * activity's time once `startActivities()` was called.
   */
  beforeRequest(): void {
    if (this.next < 0) {
      this.current += MINUTE + Math.floor((this.current % 7) * 15_000);
      return;
    }
    this.current = Math.max(this.current + 1, this.times[this.next] ?? this.current);
    this.next++;
  }

  /** The setup is over: each request from now on is the next random activity. */
  startActivities(): void {
    this.next = 0;
  }
}
