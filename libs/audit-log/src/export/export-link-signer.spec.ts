import { ExportLinkSigner } from './export-link-signer';

const secret = 'test-secret-0123456789abcdef0123456789';
const expiresAt = new Date('2026-11-26T17:00:00.000Z');
const before = new Date('2026-11-26T16:59:59.999Z');

function b64url(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

describe('ExportLinkSigner', () => {
  const signer = new ExportLinkSigner({ secret });
  const token = signer.sign({ exportId: 'exp-1', orgId: 'acme', expiresAt });

  it('round-trips a token', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(signer.verify(token, before)).toEqual({
      ok: true,
      exportId: 'exp-1',
      orgId: 'acme',
      expiresAt,
    });
  });

  it('accepts a Buffer secret equal to the string', () => {
    const fromBuffer = new ExportLinkSigner({ secret: Buffer.from(secret, 'utf8') });
    expect(fromBuffer.verify(token, before).ok).toBe(true);
  });

  it('is expired from expiresAt on, and only when genuine', () => {
    expect(signer.verify(token, expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(signer.verify(token, new Date('2030-01-01T00:00:00Z'))).toEqual({
      ok: false,
      reason: 'expired',
    });
    const other = new ExportLinkSigner({ secret: 'another-secret-0123456789abcdef' });
    expect(other.verify(token, new Date('2030-01-01T00:00:00Z'))).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('rejects a tampered payload', () => {
    const [payload, sig] = token.split('.');
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    for (const forged of [
      { ...body, e: 'exp-2' },
      { ...body, o: 'globex' },
      { ...body, x: body.x + 86_400_000 },
    ]) {
      expect(signer.verify(`${b64url(JSON.stringify(forged))}.${sig}`, before)).toEqual({
        ok: false,
        reason: 'invalid',
      });
    }
    const flipped = payload.slice(0, -2) + (payload.at(-2) === 'A' ? 'B' : 'A') + payload.at(-1);
    expect(signer.verify(`${flipped}.${sig}`, before).ok).toBe(false);
  });

  it('rejects a tampered signature', () => {
    const [payload, sig] = token.split('.');
    const bytes = Buffer.from(sig, 'base64url');
    bytes[0] ^= 1;
    expect(signer.verify(`${payload}.${bytes.toString('base64url')}`, before)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    // A non-canonical spelling of the same bytes (last char's unused bits set) is refused too.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1];
    expect(Buffer.from(`${sig.slice(0, -1)}${sibling}`, 'base64url')).toEqual(
      Buffer.from(sig, 'base64url'),
    );
    expect(signer.verify(`${payload}.${sig.slice(0, -1)}${sibling}`, before).ok).toBe(false);
    expect(signer.verify(`${payload}.`, before).ok).toBe(false);
    expect(signer.verify(`${payload}.${sig}${sig}`, before).ok).toBe(false);
  });

  it('rejects truncated tokens', () => {
    for (let i = 0; i < token.length; i++) {
      expect(signer.verify(token.slice(0, i), before).ok).toBe(false);
    }
  });

  it('rejects a token signed with another secret', () => {
    const other = new ExportLinkSigner({ secret: 'another-secret-0123456789abcdef' });
    expect(other.verify(token, before)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('never throws on garbage', () => {
    const garbage: unknown[] = [
      '',
      '.',
      '..',
      'a.b.c',
      'not base64!.sig',
      `${b64url('not json')}.AAAA`,
      `${b64url('{"v":1}')}.AAAA`,
      'x'.repeat(1_000_000),
      `${'A'.repeat(100_000)}.${'B'.repeat(100_000)}`,
      '\u0000\uffff.\ud800',
      null,
      undefined,
      42,
      {},
    ];
    for (const input of garbage) {
      expect(signer.verify(input as string, before)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('rejects a validly signed payload of the wrong shape', () => {
    // Reach the private MAC to forge a well-signed but malformed body.
    const mac = (payload: string): string =>
      (signer as unknown as { mac(p: string): Buffer }).mac(payload).toString('base64url');
    for (const body of [
      'null',
      '[]',
      '{"v":2,"e":"a","o":"b","x":1}',
      '{"v":1,"e":"","o":"b","x":1}',
    ]) {
      const payload = b64url(body);
      expect(signer.verify(`${payload}.${mac(payload)}`, before)).toEqual({
        ok: false,
        reason: 'invalid',
      });
    }
  });

  it('refuses an empty secret and bad claims', () => {
    expect(() => new ExportLinkSigner({ secret: '' })).toThrow(TypeError);
    expect(() => new ExportLinkSigner({ secret: Buffer.alloc(0) })).toThrow(TypeError);
    expect(() => signer.sign({ exportId: '', orgId: 'acme', expiresAt })).toThrow(TypeError);
    expect(() =>
      signer.sign({ exportId: 'e', orgId: 'acme', expiresAt: new Date(Number.NaN) }),
    ).toThrow(TypeError);
  });
});
