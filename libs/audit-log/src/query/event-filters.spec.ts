import 'reflect-metadata';
import fc from 'fast-check';
import { validateDto } from '../http/validate-dto';
import { EventListQueryDto, plainPageQuery } from './event-filters';

const value = fc.oneof(
  fc.constantFrom(
    '1',
    '50',
    '1000',
    '10000',
    '',
    'asc',
    'desc',
    'up',
    '-1',
    '1.5',
    'x'.repeat(5000),
  ),
  fc.string(),
  fc.array(fc.constantFrom('1', 'asc'), { minLength: 1, maxLength: 2 }),
);
const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'sortOrder', 'q', 'from'), value, {
  maxKeys: 3,
});

describe('plainPageQuery', () => {
  it('takes only what class-validator takes, with the same values', () => {
    let taken = 0;
    fc.assert(
      fc.property(query, (raw) => {
        const fast = plainPageQuery(raw);
        if (!fast) return;
        taken += 1;
        const slow = validateDto(EventListQueryDto, raw, 'parameter');
        expect({ ...fast }).toEqual({ ...slow });
      }),
      { numRuns: 3000, seed: 20261201 },
    );
    expect(taken).toBeGreaterThan(50);
  });

  it('takes a plain page request and leaves anything else to class-validator', () => {
    expect({ ...plainPageQuery({ limit: '1' }) }).toEqual({ limit: '1' });
    expect({ ...plainPageQuery({ cursor: 'abc', sortOrder: 'asc' }) }).toEqual({
      cursor: 'abc',
      sortOrder: 'asc',
    });
    expect(plainPageQuery({})).toBeDefined();
    for (const raw of [{ limit: '' }, { limit: ['1', '2'] }, { q: 'jane' }, { sortOrder: 'up' }])
      expect(plainPageQuery(raw)).toBeUndefined();
  });
});
