import { DEFAULT_REDACT_KEYS, REDACTED, redact, secretKeyMatcher } from './redact';

const isSecret = secretKeyMatcher(DEFAULT_REDACT_KEYS);

describe('secretKeyMatcher', () => {
  it.each([
    'password',
    'Password',
    'PASSWORD',
    'newPassword',
    'password_confirmation',
    'passwd',
    'apiKey',
    'api_key',
    'api-key',
    'API Key',
    'X-Api-Key',
    'x_api_key',
    'Authorization',
    'proxy-authorization',
    'auth',
    'sessionToken',
    'session_id',
    'accessToken',
    'refresh_token',
    'id_token',
    'client_secret',
    'clientSecret',
    'cookie',
    'Set-Cookie',
    'privateKey',
    'private_key',
    'aws.secretAccessKey',
    'credentials',
    'signature',
    'otp',
    'mfaCode',
    'recovery_code',
    'ssn',
    'creditCard',
    'card_number',
    'cvv',
  ])('treats %j as a secret', (key) => {
    expect(isSecret(key)).toBe(true);
  });

  it.each([
    'author',
    'authorId',
    'authorName',
    'authority',
    'option',
    'options',
    'description',
    'reason',
    'name',
    'email',
    'spin',
    'topic',
    'lesson',
    'passage',
    'setting',
    'previousName',
    'userAgent',
    'ip',
  ])('leaves %j alone', (key) => {
    expect(isSecret(key)).toBe(false);
  });

  it('adds host keys to the built-in ones, with the same folding', () => {
    const withHost = secretKeyMatcher([...DEFAULT_REDACT_KEYS, 'tenant-pin', 'iban']);
    expect(withHost('Tenant_PIN')).toBe(true);
    expect(withHost('customerIban')).toBe(true);
    expect(withHost('password')).toBe(true);
    expect(withHost('description')).toBe(false);
  });

  it('ignores empty host keys instead of matching everything', () => {
    const m = secretKeyMatcher(['', ' ', '-']);
    expect(m('description')).toBe(false);
  });
});

describe('redact', () => {
  it('redacts secrets at any depth, inside arrays too, and keeps everything else', () => {
    const input = {
      author: 'Jane Doe',
      option: 'fast',
      description: 'rotated the key',
      password: 'hunter2',
      headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'k-1', accept: 'application/json' },
      requests: [
        { cookie: 'sid=1', path: '/a' },
        [{ deeper: { client_secret: 's', sessionToken: 't', count: 2 } }],
      ],
      api_key: { nested: 'objects are replaced whole' },
      apiKey: ['arrays', 'too'],
      list: [1, 'two', null, true],
    };
    expect(redact(input, isSecret)).toEqual({
      author: 'Jane Doe',
      option: 'fast',
      description: 'rotated the key',
      password: REDACTED,
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, accept: 'application/json' },
      requests: [
        { cookie: REDACTED, path: '/a' },
        [{ deeper: { client_secret: REDACTED, sessionToken: REDACTED, count: 2 } }],
      ],
      api_key: REDACTED,
      apiKey: REDACTED,
      list: [1, 'two', null, true],
    });
  });

  it('redacts a secret key whatever its value, null and numbers included', () => {
    expect(
      redact(
        { password: null, pin: 1234, token: 0, secret: false },
        secretKeyMatcher(['password', 'pin', 'token', 'secret']),
      ),
    ).toEqual({
      password: REDACTED,
      pin: REDACTED,
      token: REDACTED,
      secret: REDACTED,
    });
  });

  it('does not redact values that merely look secret under harmless keys', () => {
    expect(redact({ note: 'password: hunter2' }, isSecret)).toEqual({ note: 'password: hunter2' });
  });

  it('returns a copy and leaves the input untouched', () => {
    const input = { nested: { password: 'p' } };
    const out = redact(input, isSecret) as typeof input;
    expect(input.nested.password).toBe('p');
    expect(out.nested).not.toBe(input.nested);
  });

  it('passes scalars through', () => {
    expect(redact('x', isSecret)).toBe('x');
    expect(redact(3, isSecret)).toBe(3);
    expect(redact(null, isSecret)).toBeNull();
  });

  it('keeps a key named __proto__ as an own property, not as the prototype', () => {
    const input = JSON.parse('{"__proto__": {"password": "p", "x": 1}, "a": 1}');
    const out = redact(input, isSecret) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(out))).toEqual(
      JSON.parse('{"__proto__": {"password": "[REDACTED]", "x": 1}, "a": 1}'),
    );
  });
});
