import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type {
  ExportStorage,
  ExportStorageSource,
  LocalExportStorage,
} from '@auditkit/nestjs/export';

/** A pause in one write: `reached` resolves once `afterBytes` were written to the storage. */
export interface Gate {
  reached: Promise<void>;
  /** Lets the write go on. */
  release(): void;
  /** Makes the write fail here, as a dying worker's would. */
  fail(err: Error): void;
}

/**
 * Wraps a LocalExportStorage so a test can stop an export half-way through writing its file
 * (then kill the worker, restart Redis, or race another worker) and let it go on or fail.
 */
export class GatedStorage implements ExportStorage {
  private readonly gates: {
    afterBytes: number;
    gate: Gate;
    open: Promise<void>;
    reachedNow: () => void;
  }[] = [];

  constructor(
    readonly inner: LocalExportStorage,
    /** The directory `inner` writes to, watched to report a pause only once bytes are on disk. */
    private readonly directory: string,
  ) {}

  /** Holds the next write once it has written `afterBytes` bytes. */
  holdNextWrite(afterBytes = 1024): Gate {
    let reachedNow!: () => void;
    let release!: () => void;
    let fail!: (err: Error) => void;
    const reached = new Promise<void>((r) => (reachedNow = r));
    const open = new Promise<void>((resolve, reject) => {
      release = resolve;
      fail = reject;
    });
    open.catch(() => undefined);
    const gate: Gate = { reached, release, fail };
    this.gates.push({ afterBytes, gate, open, reachedNow });
    return gate;
  }

  write(key: string, source: ExportStorageSource): Promise<number> {
    const next = this.gates.shift();
    if (!next) return this.inner.write(key, source);
    const directory = this.directory;
    // Another writer of the same key may have a temporary file already: wait for our own.
    const before = new Set(tempFiles(directory, key));
    async function* gated(): AsyncGenerator<Uint8Array | string> {
      let bytes = 0;
      let held = false;
      for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
        yield chunk;
        bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        if (!held && bytes >= next!.afterBytes) {
          held = true;
          await onDisk(directory, key, before);
          next!.reachedNow();
          await next!.open;
        }
      }
    }
    return this.inner.write(key, Readable.from(gated()));
  }

  createReadStream(key: string) {
    return this.inner.createReadStream(key);
  }

  exists(key: string) {
    return this.inner.exists(key);
  }

  size(key: string) {
    return this.inner.size(key);
  }

  delete(key: string) {
    return this.inner.delete(key);
  }

  removeIncomplete(olderThan: Date) {
    return this.inner.removeIncomplete(olderThan);
  }
}

function tempFiles(directory: string, key: string): string[] {
  try {
    return readdirSync(directory).filter((n) => n.startsWith(`.${key}.`) && n.endsWith('.tmp'));
  } catch {
    return [];
  }
}

/** Resolves once a new temporary file of `key` holds bytes (the storage writes asynchronously). */
async function onDisk(directory: string, key: string, before: Set<string>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const names = tempFiles(directory, key).filter((n) => !before.has(n));
    if (names.some((n) => statSync(join(directory, n), { throwIfNoEntry: false })?.size)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no temporary file of ${key} ever held bytes`);
}
