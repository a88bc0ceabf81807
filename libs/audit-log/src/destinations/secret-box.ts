import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals destination secrets with AES-256-GCM under a key derived from the configured one
 * (HKDF-SHA256, its own `info`, so the same configured secret can serve other uses without
 * sharing a key). Each blob is bound to its destination id (GCM's additional data): a blob
 * copied onto another row does not open there.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyMaterial: Buffer) {
    this.key = Buffer.from(
      hkdfSync('sha256', keyMaterial, Buffer.alloc(0), 'auditkit destinations secrets v1', 32),
    );
  }

  /** `v1.<base64url of iv | tag | ciphertext>` */
  seal(plain: Readonly<Record<string, string>>, destinationId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(destinationId, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The secrets of a sealed blob; throws when the key, the id or the blob differ. */
  open(sealed: string, destinationId: string): Record<string, string> {
    const [version, data] = sealed.split('.');
    if (version !== VERSION || !data) throw new Error('Unknown destination secret format');
    const raw = Buffer.from(data, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(destinationId, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(plain) as Record<string, string>;
  }
}
