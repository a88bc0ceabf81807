import { Transform, TransformCallback } from 'node:stream';

/**
 * Gathers the small chunks a CSV writer makes (one per row) into chunks of about `size` bytes,
 * so the file underneath sees a few large writes instead of one per row.
 */
export class Chunked extends Transform {
  private parts: Buffer[] = [];
  private length = 0;

  constructor(private readonly size = 64 * 1024) {
    super();
  }

  override _transform(
    chunk: Buffer | string,
    encoding: BufferEncoding,
    callback: TransformCallback,
  ): void {
    const part = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    this.parts.push(part);
    this.length += part.length;
    if (this.length >= this.size) this.release();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.length) this.release();
    callback();
  }

  private release(): void {
    this.push(Buffer.concat(this.parts, this.length));
    this.parts = [];
    this.length = 0;
  }
}
