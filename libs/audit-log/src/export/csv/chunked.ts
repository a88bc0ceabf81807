import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

/**
 * Gathers the small chunks a CSV writer makes (one per row) into chunks of about `size` bytes,
 * so the file underneath sees a few large writes instead of one per row. Hashes what it passes
 * on, so the file's SHA-256 is known once it is written, without reading it back.
 */
export class Chunked extends Transform {
  private readonly hash = createHash('sha256');
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

  /** SHA-256, hex, of every byte passed on so far: the whole output once the stream ended. */
  sha256(): string {
    return this.hash.copy().digest('hex');
  }

  private release(): void {
    const chunk = Buffer.concat(this.parts, this.length);
    this.hash.update(chunk);
    this.push(chunk);
    this.parts = [];
    this.length = 0;
  }
}
