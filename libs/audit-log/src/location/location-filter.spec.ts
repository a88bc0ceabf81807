import { locationCondition, locationIndex, parseLocationFilter } from './location-filter';
import { locator } from './location-resolver';
import { locationResource } from './location-resource';

describe('parseLocationFilter', () => {
  it("reads Atlassian's JSON array, a single object, repeated parameters and a body's array", () => {
    expect(parseLocationFilter('[{"countryName":"Germany","city":"Berlin"}]')).toEqual([
      { countryName: 'Germany', city: 'Berlin' },
    ]);
    expect(parseLocationFilter('{"regionName":"Bavaria"}')).toEqual([{ regionName: 'Bavaria' }]);
    expect(parseLocationFilter(['[{"city":"Paris"}]', '{"countryName":"Japan"}'])).toEqual([
      { city: 'Paris' },
      { countryName: 'Japan' },
    ]);
    expect(parseLocationFilter([{ countryName: 'France' }])).toEqual([{ countryName: 'France' }]);
  });

  it.each([
    ['Germany', /JSON array/],
    ['[]', /at least one/],
    ['[{}]', /countryName, regionName or city/],
    ['[{"country":"DE"}]', /"country"/],
    ['[{"city":""}]', /non-empty string/],
    ['[{"city":5}]', /non-empty string/],
    ['["Berlin"]', /must be an object/],
    [JSON.stringify(new Array(21).fill({ city: 'x' })), /at most 20/],
    [`[{"city":"${'x'.repeat(129)}"}]`, /at most 128/],
  ])('refuses %s', (raw, message) => {
    const parsed = parseLocationFilter(raw);
    expect('error' in parsed && parsed.error).toMatch(message);
  });

  it('builds one AND group per location, ORed, and picks the index that walks in order', () => {
    expect(locationCondition([{ countryName: 'Germany', city: 'Berlin' }])).toEqual({
      sql: '(e.country_name = ? AND e.city = ?)',
      params: ['Germany', 'Berlin'],
    });
    expect(locationCondition([{ city: 'Paris' }, { regionName: 'Texas' }]).sql).toBe(
      '((e.city = ?) OR (e.region_name = ?))',
    );
    expect(locationIndex([{ countryName: 'Germany', city: 'Berlin' }])).toBe(
      'idx_auditkit_events_org_city_time',
    );
    expect(locationIndex([{ countryName: 'Germany' }])).toBe(
      'idx_auditkit_events_org_country_time',
    );
    expect(locationIndex([{ regionName: 'Texas' }])).toBeUndefined();
    expect(locationIndex([{ city: 'Paris' }, { city: 'Rome' }])).toBeUndefined();
  });
});

describe('locator (the checked resolver of the recording path)', () => {
  it('keeps the three fields when they are usable names, drops anything else', () => {
    const locate = locator(() => ({
      countryName: ' Germany ',
      regionName: 'x'.repeat(129),
      city: 42 as unknown as string,
      geo: 'extra',
    }))!;
    expect(locate('192.0.2.1')).toEqual({ countryName: 'Germany' });
  });

  it('turns a throwing resolver or a non-object answer into no location', () => {
    expect(
      locator(() => {
        throw new Error('boom');
      })!('192.0.2.1'),
    ).toEqual({});
    expect(locator(() => null)!('192.0.2.1')).toEqual({});
    expect(locator(undefined)).toBeUndefined();
  });
});

describe('locationResource', () => {
  it("adds Atlassian's deprecated geo line only when a name is known", () => {
    expect(locationResource({ ip: '1.1.1.1', city: 'Sydney', countryName: 'Australia' })).toEqual({
      ip: '1.1.1.1',
      city: 'Sydney',
      countryName: 'Australia',
      geo: 'Sydney, Australia',
    });
    expect(locationResource({ ip: '10.0.0.1' })).toEqual({ ip: '10.0.0.1' });
  });
});
