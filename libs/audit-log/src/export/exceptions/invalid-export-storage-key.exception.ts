import { invalidStorageKeyMessage } from '../export.messages';

/**
 * Thrown by an export storage for a key that could escape its directory or bucket prefix. Keys
 * are made by the library, so this signals a bug or an attack, never a user error.
 */
export class InvalidExportStorageKeyException extends Error {
  constructor(key: unknown) {
    super(invalidStorageKeyMessage(key));
    this.name = 'InvalidExportStorageKeyException';
  }
}
