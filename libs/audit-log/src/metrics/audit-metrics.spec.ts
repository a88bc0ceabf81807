import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AuditEvent } from '../event/audit-event.interface';
import { AuditWriter } from '../recording/audit-writer';
import { PreparedEvent } from '../store/event-row';
import { EventStore } from '../store/event-store';
import { AuditMetrics, writeFailureReason } from './audit-metrics';
import { resolveMetricsOptions } from './audit-metrics.module-definition';

// The writer's reports as they reach prom-client, against a store the test fails at will. The
// rest is covered against real databases in test/metrics.

class FailingStore {
  fail: Error | null = null;
  write(events: PreparedEvent[]): Promise<AuditEvent[]> {
    if (this.fail) return Promise.reject(this.fail);
    return Promise.resolve(
      events.map((e, i) => ({ id: e.id, seq: i + 1, outcome: e.outcome }) as AuditEvent),
    );
  }
}

const event = (id: string, outcome: 'success' | 'failure' = 'success') =>
  ({ id, orgId: 'org-1', outcome }) as PreparedEvent;

async function value(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = await registry.getSingleMetric(name)!.get();
  const sample = metric.values.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return sample?.value;
}

function setup(policy: 'fail-closed' | 'fail-open', maxBufferSize = 100) {
  const registry = new Registry();
  const metrics = new AuditMetrics(resolveMetricsOptions({ registry }));
  const store = new FailingStore();
  const writer = new AuditWriter(
    store as unknown as EventStore,
    {
      policy,
      maxBatchSize: 500,
      maxBufferSize,
      concurrency: 1,
      retryBaseMs: 5,
      retryMaxMs: 20,
      shutdownTimeoutMs: 50,
    },
    metrics,
  );
  return { registry, metrics, store, writer };
}

describe('AuditMetrics fed by the writer', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    for (const level of ['warn', 'log', 'debug'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
    }
  });
  afterAll(() => jest.restoreAllMocks());

  it('counts committed events by outcome, and each batch once', async () => {
    const { registry, writer } = setup('fail-closed');
    await Promise.all([
      writer.enqueue(event('a')),
      writer.enqueue(event('b', 'failure')),
      writer.enqueue(event('c')),
    ]);
    expect(await value(registry, 'auditkit_events_recorded_total', { outcome: 'success' })).toBe(2);
    expect(await value(registry, 'auditkit_events_recorded_total', { outcome: 'failure' })).toBe(1);
    expect(await value(registry, 'auditkit_write_batch_size', { le: '+Inf' })).toBe(1);
    expect(await value(registry, 'auditkit_writer_buffer_capacity_events')).toBe(100);
  });

  it('fail-closed: a failed batch is a failure and its events are refused', async () => {
    const { registry, store, writer } = setup('fail-closed');
    store.fail = new Error('boom');
    await expect(writer.enqueue(event('a'))).rejects.toThrow();
    expect(await value(registry, 'auditkit_write_failures_total', { reason: 'error' })).toBe(1);
    expect(await value(registry, 'auditkit_events_refused_total', { reason: 'write_failed' })).toBe(
      1,
    );
    expect(await value(registry, 'auditkit_events_recorded_total', { outcome: 'success' })).toBe(0);
  });

  it('fail-open: the buffer depth, refusals of a full buffer, and what shutdown gives up', async () => {
    const { registry, store, writer } = setup('fail-open', 3);
    store.fail = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), {
      code: 'ECONNREFUSED',
      fatal: true,
    });
    const settled = [1, 2, 3, 4].map((i) => writer.enqueue(event(`e${i}`)).catch(() => 'x'));
    await Promise.all(settled);
    expect(await value(registry, 'auditkit_writer_pending_events')).toBe(3);
    expect(await value(registry, 'auditkit_events_refused_total', { reason: 'buffer_full' })).toBe(
      1,
    );
    expect(
      await value(registry, 'auditkit_write_failures_total', { reason: 'unavailable' }),
    ).toBeGreaterThanOrEqual(1);
    await writer.close();
    expect(await value(registry, 'auditkit_events_refused_total', { reason: 'shutdown' })).toBe(3);
    expect(await value(registry, 'auditkit_writer_pending_events')).toBe(0);
  });

  it('sorts write errors into a bounded set of reasons', () => {
    expect(writeFailureReason(new Error('syntax'))).toBe('error');
    expect(
      writeFailureReason(
        Object.assign(new Error('x'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
      ),
    ).toBe('unavailable');
    expect(writeFailureReason('not an error')).toBe('error');
  });

  it('leaves a host registry as it found it', () => {
    const registry = new Registry();
    const metrics = new AuditMetrics(resolveMetricsOptions({ registry, defaultMetrics: true }));
    expect(registry.getMetricsAsArray().length).toBeGreaterThan(10);
    metrics.unregister();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
