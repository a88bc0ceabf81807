import { ArgumentsHost, Logger } from '@nestjs/common';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ApiExceptionFilter } from './api-error';

// Text an error carries that must never reach the client: a parser's or a host's own words.
const SECRET = 'secret-body-text-7d1b';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: { errors: { status: string; code: string; title: string; detail?: string }[] };
  text: string;
}

function answer(exception: unknown, headers: Record<string, string> = {}): Answer {
  const out: Answer = { status: 0, headers: {}, body: { errors: [] }, text: '' };
  const res = {
    headersSent: false,
    setHeader: (k: string, v: string) => (out.headers[k.toLowerCase()] = v),
    getHeader: (k: string) => out.headers[k.toLowerCase()],
    status(code: number) {
      out.status = code;
      return this;
    },
    type() {
      return this;
    },
    send(text: string) {
      out.text = text;
      out.body = JSON.parse(text) as Answer['body'];
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ headers }) }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return out;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return Object.assign(err as Error, { message: `${(err as Error).message} ${SECRET}` });
  }
  throw new Error('did not throw');
}

describe('ApiExceptionFilter: errors that say they are the client’s', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['gzip', () => gunzipSync(Buffer.from('{"not":"gzip"}'))],
    ['gzip', () => gunzipSync(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))],
    ['br', () => brotliDecompressSync(Buffer.from('{"not":"brotli"}'))],
  ])('zlib’s own error (%s, no status) is a 400 naming the encoding', (encoding, fn) => {
    const res = answer(thrown(fn), { 'content-encoding': encoding });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        status: '400',
        code: 'invalid_body',
        title: 'Invalid body',
        detail: `The body is not valid ${encoding} data (Content-Encoding: ${encoding})`,
      },
    ]);
    expect(errors).not.toHaveBeenCalled();
  });

  it('a zlib error with an encoding it cannot name is still a 400', () => {
    const res = answer(thrown(() => gunzipSync(Buffer.from('x'))));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toBe('The body does not decompress');
  });

  it.each([
    ['status', 422],
    ['statusCode', 409],
    ['status', 404],
  ])('an error with a numeric 4xx %s (%d) keeps it, with a detail of ours', (field, status) => {
    const res = answer(Object.assign(new Error(SECRET), { [field]: status }));
    expect(res.status).toBe(status);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].status).toBe(String(status));
    expect(res.text).not.toContain(SECRET);
    expect(errors).not.toHaveBeenCalled();
  });

  it.each([
    ['entity.verify.failed', 403, 'The body could not be read'],
    ['stream.not.readable', 400, 'The body could not be read'],
    [
      'encoding.unsupported',
      415,
      'The Content-Encoding is not supported; send gzip, deflate, br or identity',
    ],
    ['charset.unsupported', 415, 'The charset is not supported; send JSON in UTF-8'],
    ['request.size.invalid', 400, 'The body is not as long as its Content-Length says'],
    ['entity.parse.failed', 400, 'The body is not valid JSON'],
  ])('body-parser’s %s is a %d with a fixed detail', (type, status, detail) => {
    const res = answer(
      Object.assign(new Error(`unsupported "${SECRET}"`), { status, statusCode: status, type }),
    );
    expect(res.status).toBe(status);
    expect(res.body.errors[0].detail).toBe(detail);
    expect(res.text).not.toContain(SECRET);
  });

  it('a 5xx status or none at all stays an internal error, logged and not echoed', () => {
    for (const e of [
      Object.assign(new Error(SECRET), { status: 500, type: 'stream.encoding.set' }),
      Object.assign(new Error(SECRET), { statusCode: '400' }),
      Object.assign(new Error(SECRET), { code: 'ERR_INVALID_ARG_TYPE' }),
    ]) {
      const res = answer(e);
      expect(res.status).toBe(500);
      expect(res.text).not.toContain(SECRET);
    }
    expect(errors).toHaveBeenCalledTimes(3);
  });
});
