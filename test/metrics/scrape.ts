import { createServer } from 'node:net';

/** A scrape in the Prometheus text format, as `name{label="v",...}` (labels sorted) → value. */
export type Samples = Map<string, number>;

export function parseMetrics(body: string): Samples {
  const samples: Samples = new Map();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = m[2]
      ? [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
          .map(([, k, v]) => `${k}="${v}"`)
          .sort()
      : [];
    samples.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1], Number(m[3]));
  }
  return samples;
}

/** `name{labels}` as `parseMetrics` keys it, from a label object. */
export function key(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

/** How much each sample moved between two scrapes (absent counts as 0). */
export function delta(before: Samples, after: Samples, k: string): number {
  return (after.get(k) ?? 0) - (before.get(k) ?? 0);
}

/** A port nobody listens on right now (to give a server that must not pick its own). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
