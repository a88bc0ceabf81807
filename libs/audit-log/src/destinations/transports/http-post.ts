import { request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError } from './transport';

/** What a receiver answered, with at most `MAX_RESPONSE_BYTES` of its body. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

// A receiver's answer is read for its status and a short error text, never kept whole.
const MAX_RESPONSE_BYTES = 64 * 1024;
const LONGEST_RETRY_AFTER_MS = 3600_000;

/**
 * POSTs `body` to `url` (https, or http to a loopback address: the URL was checked when the
 * destination was saved) and resolves with the answer, whatever its status. Redirects are not
 * followed: a signed batch goes where the admin said. Network errors, a timeout and an abort
 * reject with a retryable DeliveryError.
 */
export function httpPost(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  options: { timeoutMs: number; ca?: string; signal?: AbortSignal },
): Promise<HttpAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.length) },
        timeout: options.timeoutMs,
        signal: options.signal,
        ...(options.ca ? { ca: options.ca } : {}),
        // One connection per batch: batches of one destination are sequential anyway, and a
        // kept-alive socket to a receiver that restarted fails the next batch for nothing.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BYTES),
          }),
        );
        res.on('error', (err) => reject(networkError(err)));
      },
    );
    // A deadline for the whole exchange, not only for idle sockets.
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (err) => reject(networkError(err)));
    req.on('close', () => clearTimeout(deadline));
    req.end(body);
  });
}

function networkError(err: Error): DeliveryError {
  const code = (err as NodeJS.ErrnoException).code;
  return new DeliveryError(code ? `${code}: ${err.message}` : err.message);
}

/**
 * A DeliveryError for a receiver's non-2xx answer: 408, 429 and 5xx are retried (after its
 * Retry-After, when it gave one); any other status is permanent, as the same batch would get the
 * same answer, and pauses the destination sooner.
 */
export function statusError(answer: HttpAnswer, what: string): DeliveryError {
  const { status } = answer;
  const retryable = status === 408 || status === 429 || status >= 500;
  const detail = answer.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new DeliveryError(
    `${what} answered HTTP ${status}${detail ? `: ${detail}` : ''}`,
    !retryable,
    retryable ? retryAfterMs(answer.headers['retry-after']) : undefined,
  );
}

/** Retry-After in seconds or as an HTTP date, in ms from now (at most an hour). */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, LONGEST_RETRY_AFTER_MS);
}
