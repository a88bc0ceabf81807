import { generateKeyPairSync } from 'node:crypto';
import { CheckpointBody, checkpointSignatureValid, signCheckpoint } from './checkpoint';
import { keyIdOf, parsePublicKey, SigningKeyError, SigningKeys } from './signing-keys';

function ed25519Pem() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

describe('checkpoints and signing keys', () => {
  const current = ed25519Pem();
  const retired = ed25519Pem();
  const keys = new SigningKeys(current.privateKey, [retired.publicKey]);
  const body: CheckpointBody = {
    v: 1,
    org: 'acme',
    seq: 1000,
    head: 'b'.repeat(64),
    count: 1000,
    time: 1764083045123,
    keyId: keys.keyId,
    kind: 'scheduled',
  };

  it('signs a checkpoint that verifies under its key and under nothing else', () => {
    const cp = signCheckpoint(body, keys.privateKey);
    expect(checkpointSignatureValid(cp, keys.publicKey(keys.keyId)!)).toBe(true);
    expect(checkpointSignatureValid(cp, parsePublicKey(retired.publicKey))).toBe(false);
  });

  it('refuses a checkpoint whose any field was changed after signing', () => {
    const cp = signCheckpoint(body, keys.privateKey);
    const pub = keys.publicKey(keys.keyId)!;
    for (const changed of [
      { ...cp, org: 'globex' },
      { ...cp, seq: 999 },
      { ...cp, head: 'c'.repeat(64) },
      { ...cp, count: 1 },
      { ...cp, time: cp.time + 1 },
      { ...cp, kind: 'manual' as const },
      { ...cp, purge: { throughSeq: 10, policy: 'retention 180 days' } },
      { ...cp, signature: 'AAAA' },
    ]) {
      expect(checkpointSignatureValid(changed, pub)).toBe(false);
    }
  });

  it('keeps retired keys by id and publishes every key as a JWK', () => {
    const retiredId = keyIdOf(parsePublicKey(retired.publicKey));
    expect(keys.publicKey(retiredId)).toBeDefined();
    const published = keys.published();
    expect(published).toHaveLength(2);
    expect(published.find((k) => k.current)!.kid).toBe(keys.keyId);
    const jwk = published.find((k) => k.kid === retiredId)!;
    expect(keyIdOf(parsePublicKey(JSON.stringify(jwk)))).toBe(retiredId);
    expect(keys.keyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses keys that are not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(
      () => new SigningKeys(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    ).toThrow(SigningKeyError);
    expect(() => new SigningKeys('not a key')).toThrow(SigningKeyError);
    expect(() => parsePublicKey('{"kty":"OKP"}')).toThrow(SigningKeyError);
  });
});
