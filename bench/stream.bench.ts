/**
 * Streaming benchmark (`npm run bench:stream`). The admin stack's library modules in one
 * process (core, admin API, destinations with their defaults: 200 ms poll, batches of 500)
 * record events at a steady 1,000 a second for 10 seconds (BENCH_SECONDS, BENCH_RATE), while a
 * webhook destination delivers them to a local receiver (a real HTTP server in this process
 * that checks each signature). It prints, measured in this one run:
 *
 *  - the rate recorded and the rate delivered (events/s, first commit to last delivery)
 *  - the lag from commit (record() resolved) to delivery (the receiver read the batch),
 *    p50 / p95 / p99 / max                                           goal: p95 <= 1 s
 *
 * Database: DATABASE_URL (mysql://... or sqlite:PATH), else a fresh SQLite file.
 */
import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditDestinationsModule, DestinationsService } from '@auditkit/nestjs/destinations';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const TICK_MS = 10;
const ORG = 'bench';
const SECRET = 'bench-stream-webhook-secret-0123456789';
const KEY = 'bench-stream-destinations-key-0123456789';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-bench-stream-'));
  const databaseUrl = process.env.DATABASE_URL ?? `sqlite:${join(dir, 'audit.db')}`;
  const committedAt = new Map<number, number>();
  const deliveredAt = new Map<number, number>();
  let badSignatures = 0;
  let duplicates = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const [t, v1] = String(req.headers['auditkit-signature'])
        .split(',')
        .map((p) => p.split('=')[1]);
      const mac = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
      if (mac !== v1) badSignatures++;
      for (const line of body.split('\n')) {
        if (!line) continue;
        const seq = (JSON.parse(line) as { attributes: { seq: number } }).attributes.seq;
        if (deliveredAt.has(seq)) duplicates++;
        else deliveredAt.set(seq, now);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;

  @Module({
    imports: [
      AuditLogModule.forRoot({ isGlobal: true, databaseUrl }),
      AuditAdminModule.forRoot({ jwt: { secret: KEY } }),
      AuditDestinationsModule.forRoot({ encryptionKey: KEY }),
    ],
  })
  class BenchModule {}

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  try {
    const audit = app.get(AuditService);
    await app.get(DestinationsService).create(ORG, {
      type: 'webhook',
      url: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
      start: 'now',
    });
    const total = SECONDS * RATE;
    const perTick = (RATE * TICK_MS) / 1000;
    const started = performance.now();
    const pending: Promise<void>[] = [];
    let sent = 0;
    // Open loop: each tick sends what the rate owes by now, whatever the earlier ones are doing.
    while (sent < total) {
      const owed = Math.min(
        total,
        Math.floor(((performance.now() - started) / TICK_MS + 1) * perTick),
      );
      for (; sent < owed; sent++) {
        const i = sent;
        pending.push(
          audit
            .record({
              orgId: ORG,
              action: 'group_created',
              actor: { id: `u-${i % 500}`, name: `User ${i % 500}` },
              targets: [{ id: `g-${i}`, type: 'group', name: `group-${i}` }],
            })
            .then((e) => {
              committedAt.set(e.seq, performance.now());
            }),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await Promise.all(pending);
    const recordedIn = (performance.now() - started) / 1000;
    const deadline = performance.now() + 60_000;
    while (deliveredAt.size < total && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const lags = [...committedAt].map(([seq, at]) => (deliveredAt.get(seq) ?? Infinity) - at);
    lags.sort((a, b) => a - b);
    const lastDelivery = Math.max(...deliveredAt.values());
    const deliveredIn = (lastDelivery - started) / 1000;
    const p95 = percentile(lags, 95);
    const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'not delivered');
    console.log(`database: ${databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`);
    console.log(
      `recorded:  ${total} events in ${recordedIn.toFixed(2)} s = ${(total / recordedIn).toFixed(0)} events/s (asked ${RATE}/s)`,
    );
    console.log(
      `delivered: ${deliveredAt.size} events in ${deliveredIn.toFixed(2)} s = ${(deliveredAt.size / deliveredIn).toFixed(0)} events/s to a local webhook (${duplicates} duplicates, ${badSignatures} bad signatures)`,
    );
    console.log(
      `lag commit -> delivery: p50 ${fmt(percentile(lags, 50))}, p95 ${fmt(p95)}, p99 ${fmt(percentile(lags, 99))}, max ${fmt(lags[lags.length - 1])}`,
    );
    console.log(`goal p95 <= 1000 ms: ${p95 <= 1000 ? 'met' : 'missed'}`);
  } finally {
    await app.close();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
