import type { Readable } from 'node:stream';
import { InvalidExportStorageKeyException } from '../exceptions/invalid-export-storage-key.exception';

/** What an export storage accepts as a file's content. */
export type ExportStorageSource = Readable | AsyncIterable<Uint8Array | string>;

/**
 * Where finished export files live until their link expires: a local directory by default, an
 * S3-compatible bucket later. Keys are flat names matching {@link EXPORT_STORAGE_KEY_PATTERN};
 * every method rejects any other key with {@link InvalidExportStorageKeyException}.
 */
export interface ExportStorage {
  /**
   * Stores `source` under `key`, replacing any file there. The file becomes visible only once
   * the whole source was stored, so a reader never sees a half-written export; when the source
   * fails, nothing is left under `key` from this call.
   * @returns the number of bytes stored
   */
  write(key: string, source: ExportStorageSource): Promise<number>;

  /** The file's content, or `null` when there is no file under `key`. */
  createReadStream(key: string): Promise<Readable | null>;

  /** Whether a file is stored under `key`. */
  exists(key: string): Promise<boolean>;

  /** The file's size in bytes, or `null` when there is no file under `key`. */
  size(key: string): Promise<number | null>;

  /** Removes the file under `key`; removing a missing file is not an error. */
  delete(key: string): Promise<void>;

  /**
   * Removes what writes interrupted by a dying process left behind (temporary files last
   * modified before `olderThan`). Optional: storages that cannot leave such files omit it.
   * @returns the number of leftovers removed
   */
  removeIncomplete?(olderThan: Date): Promise<number>;
}

/** Keys an export storage accepts: 1 to 200 of `[A-Za-z0-9._-]`, not starting with a dot. */
export const EXPORT_STORAGE_KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** Throws {@link InvalidExportStorageKeyException} unless `key` is a valid storage key. */
export function assertExportStorageKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !EXPORT_STORAGE_KEY_PATTERN.test(key)) {
    throw new InvalidExportStorageKeyException(key);
  }
}
