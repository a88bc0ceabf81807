import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.from('a-destinations-key-0123456789'));

  it('seals so that only the same key and destination id open it', () => {
    const sealed = box.seal({ secret: 'whsec-0123456789abcdef' }, 'D1');
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    expect(sealed).not.toContain('whsec');
    expect(box.open(sealed, 'D1')).toEqual({ secret: 'whsec-0123456789abcdef' });
    expect(() => box.open(sealed, 'D2')).toThrow();
    expect(() => new SecretBox(Buffer.from('another-key-0123456789')).open(sealed, 'D1')).toThrow();
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered, 'D1')).toThrow();
  });

  it('uses a new nonce each time', () => {
    expect(box.seal({ a: 'b' }, 'D1')).not.toBe(box.seal({ a: 'b' }, 'D1'));
  });
});
