import type { AuditViewerGrant } from '../../auth/audit-principal.interface';
import { ApiException } from '../../http/api-error';
import { narrowFilters, requireWholeLog } from './narrow';

const FROM = '2026-01-01T00:00:00.000Z';
const viewer: AuditViewerGrant = {
  orgId: 'acme',
  tokenId: 't',
  narrowing: { actions: ['a', 'b'], actors: ['u-1'], from: FROM },
};

function refusal(run: () => unknown) {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    return (err as ApiException).getResponse() as { errors: { source: object }[] };
  }
  throw new Error('not refused');
}

describe('narrowFilters', () => {
  it('leaves anyone but a viewer alone', () => {
    expect(narrowFilters({ q: 'x' }, undefined, 'parameter')).toEqual({ q: 'x' });
  });

  it("fills what the query leaves out with the token's values", () => {
    expect(narrowFilters({ q: 'x' }, viewer, 'parameter')).toEqual({
      q: 'x',
      actions: ['a', 'b'],
      actor: ['u-1'],
      from: Date.parse(FROM),
    });
  });

  it("starts at the route's default when it is after the token's start", () => {
    const later = Date.parse(FROM) + 1000;
    expect(narrowFilters({}, viewer, 'parameter', later).from).toBe(later);
    expect(narrowFilters({}, viewer, 'parameter', 0).from).toBe(Date.parse(FROM));
  });

  it('keeps a narrower query and refuses a wider one, naming the field', () => {
    expect(narrowFilters({ actions: ['b'] }, viewer, 'parameter').actions).toEqual(['b']);
    expect(refusal(() => narrowFilters({ actions: ['a', 'c'] }, viewer, 'parameter'))).toEqual({
      errors: [expect.objectContaining({ source: { parameter: 'action' } })],
    });
    expect(refusal(() => narrowFilters({ actor: ['u-2'] }, viewer, 'pointer'))).toEqual({
      errors: [expect.objectContaining({ source: { pointer: '/actor' } })],
    });
    expect(
      refusal(() => narrowFilters({ from: Date.parse(FROM) - 1 }, viewer, 'parameter')),
    ).toEqual({ errors: [expect.objectContaining({ source: { parameter: 'from' } })] });
  });
});

describe('requireWholeLog', () => {
  it('refuses a narrowed viewer only', () => {
    expect(() => requireWholeLog(viewer, 'x')).toThrow(ApiException);
    expect(() => requireWholeLog({ ...viewer, narrowing: {} }, 'x')).not.toThrow();
    expect(() => requireWholeLog(undefined, 'x')).not.toThrow();
  });
});
