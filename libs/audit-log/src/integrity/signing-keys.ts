import { createPrivateKey, createPublicKey, hash, KeyObject } from 'node:crypto';

/** One public key as published (a JWK of RFC 8037, with its key id). */
export interface PublishedKey {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  /** Whether new checkpoints are signed with it. */
  current: boolean;
}

/** A key id: the first 16 bytes of SHA-256 over the key's SPKI DER encoding, base64url. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.from(hash('sha256', der, 'hex'), 'hex')
    .subarray(0, 16)
    .toString('base64url');
}

/** Thrown for a key that is not an Ed25519 key in PEM. */
export class SigningKeyError extends Error {}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`${what} must be an Ed25519 key (got ${key.asymmetricKeyType})`);
  }
  return key;
}

/**
 * The checkpoint signing key and the public keys that older checkpoints were signed with.
 * The private key lives in the process's configuration (a file or a secret store), never in
 * the audit database.
 */
export class SigningKeys {
  readonly keyId: string;
  private readonly publicKeys = new Map<string, KeyObject>();

  /**
   * @param privateKeyPem PKCS#8 PEM of the current Ed25519 private key
   * @param previousPublicKeysPem SPKI PEMs of retired keys, so their checkpoints stay verifiable
   */
  constructor(privateKeyPem: string, previousPublicKeysPem: readonly string[] = []) {
    let key: KeyObject;
    try {
      key = createPrivateKey(privateKeyPem);
    } catch (err) {
      throw new SigningKeyError(
        `the signing key is not a private key in PEM (${(err as Error).message})`,
      );
    }
    this.privateKey = ed25519(key, 'the signing key');
    const current = createPublicKey(this.privateKey);
    this.keyId = keyIdOf(current);
    this.publicKeys.set(this.keyId, current);
    for (const pem of previousPublicKeysPem) {
      let pub: KeyObject;
      try {
        pub = createPublicKey(pem);
      } catch (err) {
        throw new SigningKeyError(
          `a previous public key is not a public key in PEM (${(err as Error).message})`,
        );
      }
      ed25519(pub, 'a previous public key');
      this.publicKeys.set(keyIdOf(pub), pub);
    }
  }

  readonly privateKey: KeyObject;

  /** The public key with this id, current or retired. */
  publicKey(keyId: string): KeyObject | undefined {
    return this.publicKeys.get(keyId);
  }

  /** Every public key, as JWKs with their ids, for the key endpoint. */
  published(): PublishedKey[] {
    return [...this.publicKeys.entries()].map(([kid, key]) => {
      const jwk = key.export({ format: 'jwk' }) as { x: string };
      return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, current: kid === this.keyId };
    });
  }
}

/** A public key given as PEM or as an Ed25519 JWK (the form the key endpoint publishes). */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.startsWith('{')
      ? createPublicKey({ key: JSON.parse(trimmed), format: 'jwk' })
      : createPublicKey(trimmed);
  } catch (err) {
    throw new SigningKeyError(`not a public key in PEM or JWK (${(err as Error).message})`);
  }
  return ed25519(key, 'the public key');
}
