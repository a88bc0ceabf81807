/**
 * Location lookup bench (`npm run bench:location`): what resolving an event's IP costs on the
 * recording path, with the DB-IP data the admin app ships. It prints the cost per lookup on a
 * fresh reader (pages read from disk), after 20,000 other lookups (pages cached), and for an
 * address looked up recently (the address cache), with the ratios between them. No goal: the
 * figures go in the README's "Location" paragraph.
 */
import { loadavg } from 'node:os';
import { dbIpLocationResolver } from '@auditkit/nestjs/location';

function addresses(n: number, salt: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `${((i + salt) % 200) + 11}.${(i * 7 + salt) % 256}.${(i * 13) % 256}.${i % 250}`,
  );
}

function microsPerLookup(list: string[], resolve: (ip: string) => unknown): number {
  const started = process.hrtime.bigint();
  for (const ip of list) resolve(ip);
  return Number(process.hrtime.bigint() - started) / list.length / 1000;
}

function main(): void {
  // No address cache here: each lookup walks the file's search tree.
  const uncached = dbIpLocationResolver({ cacheAddresses: 1 });
  const cached = dbIpLocationResolver();
  try {
    const cold = microsPerLookup(addresses(2000, 0), uncached);
    microsPerLookup(addresses(20000, 1), uncached);
    const warm = microsPerLookup(addresses(2000, 2), uncached);
    cached('8.8.8.8');
    const hit = microsPerLookup(new Array(20000).fill('8.8.8.8'), cached);
    const [load] = loadavg();
    console.log(
      `DB-IP data built ${cached.builtAt.toISOString().slice(0, 10)}; load average ${load.toFixed(2)}`,
    );
    console.log(`fresh reader        ${cold.toFixed(1)} µs per lookup`);
    console.log(
      `pages cached        ${warm.toFixed(1)} µs per lookup (${(cold / warm).toFixed(1)}x faster than fresh)`,
    );
    console.log(
      `address cached      ${hit.toFixed(2)} µs per lookup (${(warm / hit).toFixed(0)}x faster than pages cached)`,
    );
  } finally {
    uncached.close();
    cached.close();
  }
}

main();
