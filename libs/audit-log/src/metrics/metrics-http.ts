import { Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** Answers a scrape (node's request and response, so Express, Fastify and node:http alike). */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Serves `registry` in the Prometheus text format. With `token`, a request must carry
 * `Authorization: Bearer <token>`; tokens are compared as SHA-256 digests in constant time, so
 * neither their content nor their length leaks through timing.
 */
export function metricsHandler(registry: Registry, token?: string): MetricsHandler {
  const logger = new Logger('AuditMetrics');
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
    }
    if (expected) {
      const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]), expected)) {
        return send(res, 401, 'Unauthorized\n', { 'www-authenticate': 'Bearer realm="metrics"' });
      }
    }
    let body: string;
    try {
      body = await registry.metrics();
    } catch (err) {
      // Collectors that read the database never throw; this is a bug worth one log line.
      logger.error(`Metrics could not be collected: ${(err as Error).message}`);
      return send(res, 500, 'Metrics could not be collected\n');
    }
    send(res, 200, req.method === 'HEAD' ? '' : body, { 'content-type': registry.contentType });
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** A separate HTTP server that answers `path` with `handler` and 404 to everything else. */
export function listenForMetrics(
  handler: MetricsHandler,
  path: string,
  port: number,
  host?: string,
): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== path) return send(res, 404, 'Not Found\n');
    void handler(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops the server, cutting idle keep-alive connections so shutdown does not wait for them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
