import { isValidEmailClaim, isValidNameClaim, nonBlankRoles } from './claims';

describe('isValidEmailClaim', () => {
  it.each([
    'jane@acme.test',
    'jane.doe+audit@mail.acme.test',
    "o'brien@acme.test",
    'admin@localhost',
    'zoë@exämple.test',
    `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}`,
  ])('accepts %j', (email) => {
    expect(isValidEmailClaim(email)).toBe(true);
  });

  it.each([
    ['a list', 'victim@x.test, attacker@evil.test'],
    ['a list without a space', 'victim@x.test,attacker@evil.test'],
    ['a semicolon list', 'victim@x.test;attacker@evil.test'],
    ['a display name', 'Victim <victim@x.test>'],
    ['angle brackets', '<victim@x.test>'],
    ['a quoted local part', '"victim@x.test, attacker"@evil.test'],
    ['a comment', 'victim@x.test (me)'],
    ['a newline', 'victim@x.test\nBcc: attacker@evil.test'],
    ['a carriage return', 'victim@x.test\r'],
    ['a NUL', 'victim@x.test\u0000'],
    ['a line separator', 'victim@x.test\u2028'],
    ['a lone surrogate', 'victim\ud800@x.test'],
    ['a space', 'vic tim@x.test'],
    ['no @', 'victim.x.test'],
    ['two @', 'victim@x@evil.test'],
    ['an empty local part', '@x.test'],
    ['an empty domain', 'victim@'],
    ['a leading dot', '.victim@x.test'],
    ['two dots', 'vic..tim@x.test'],
    ['an empty domain label', 'victim@x..test'],
    ['a domain label ending in "-"', 'victim@x-.test'],
    ['a local part of 65 characters', `${'a'.repeat(65)}@x.test`],
    [
      'a domain of 256 characters',
      `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(64)}`,
    ],
    [
      '321 characters',
      `${'a'.repeat(65)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}`,
    ],
    ['an empty string', ''],
  ])('refuses %s', (_what, email) => {
    expect(isValidEmailClaim(email)).toBe(false);
  });

  it('refuses what is not a string', () => {
    for (const v of [undefined, null, 1, ['a@b.test'], { address: 'a@b.test' }]) {
      expect(isValidEmailClaim(v)).toBe(false);
    }
  });
});

describe('isValidNameClaim', () => {
  it.each(['Jane Doe', 'Zoë Ölçer 😀', 'Doe, John "JD"', '<script>', ''])('accepts %j', (name) => {
    expect(isValidNameClaim(name)).toBe(true);
  });

  it.each([
    ['a newline', 'Jane\nDownload audit log: http://evil.test/phish'],
    ['a carriage return', 'Jane\rDoe'],
    ['a tab', 'Jane\tDoe'],
    ['a NUL', 'Jane\u0000'],
    ['a C1 control', 'Jane\u0085Doe'],
    ['a paragraph separator', 'Jane\u2029Doe'],
    ['a bidi override', 'Jane \u202eeoD'],
    ['a lone surrogate', 'Jane \ud800'],
    ['257 characters', 'J'.repeat(257)],
  ])('refuses %s', (_what, name) => {
    expect(isValidNameClaim(name)).toBe(false);
  });
});

describe('nonBlankRoles', () => {
  it('drops empty and blank roles and keeps the others exactly', () => {
    expect(nonBlankRoles(['', '  ', '\t', 'org-admin', ' site-admin'])).toEqual([
      'org-admin',
      ' site-admin',
    ]);
  });
});
