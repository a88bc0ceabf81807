import { canonicalize } from './canonical-json';

describe('canonicalize (RFC 8785)', () => {
  it('writes the example of RFC 8785 section 3.2.2 byte for byte', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const input = Object.fromEntries(keys.map((k, i) => [k, i]));
    // Read the order off the text: Object.keys would put the integer-like key "1" first.
    const text = canonicalize(input);
    const order = [...keys].sort(
      (a, b) => text.indexOf(JSON.stringify(a)) - text.indexOf(JSON.stringify(b)),
    );
    expect(order).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('keeps keys that are ordinary words in JavaScript', () => {
    const input = JSON.parse('{"constructor":1,"__proto__":{"toString":2},"prototype":[3]}');
    expect(canonicalize(input)).toBe(
      '{"__proto__":{"toString":2},"constructor":1,"prototype":[3]}',
    );
  });

  it('writes -0 as 0 and refuses what JSON cannot hold', () => {
    expect(canonicalize([-0, 1e21, 1e-7])).toBe('[0,1e+21,1e-7]');
    expect(() => canonicalize(Infinity)).toThrow(TypeError);
    expect(() => canonicalize({ n: 10n })).toThrow(TypeError);
  });

  it('reads undefined as JSON.stringify does: members left out, array items null', () => {
    expect(canonicalize({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
  });

  it('handles nesting far deeper than the call stack allows', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const text = canonicalize(deep);
    expect(text.length).toBe(400_001);
    expect(text.startsWith('[[[')).toBe(true);
  });
});
