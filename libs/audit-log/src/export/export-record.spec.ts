import { effectiveStatus, ExportRecord, exportStorageKey } from './export-record';
import { exportFileName } from './export-download.controller';

const record = (over: Partial<ExportRecord>): ExportRecord => ({
  id: '01JD7ZZZZZZZZZZZZZZZZZZZZZ',
  orgId: 'acme',
  status: 'ready',
  spec: { filters: {}, maxRows: 10, snapshotSeq: 1 },
  requestedBy: 'u-1',
  requesterName: null,
  requesterEmail: 'a@b.test',
  createdAt: 0,
  startedAt: 0,
  readyAt: 0,
  expiresAt: 1000,
  rowCount: 0,
  truncated: false,
  storageKey: 'x.csv',
  mailedAt: 1,
  attempts: 1,
  error: null,
  ...over,
});

describe('effectiveStatus', () => {
  it('reads a ready export as expired from its expiry on', () => {
    expect(effectiveStatus(record({}), 999)).toBe('ready');
    expect(effectiveStatus(record({}), 1000)).toBe('expired');
    expect(effectiveStatus(record({ status: 'running', expiresAt: null }), 5000)).toBe('running');
    expect(effectiveStatus(record({ status: 'failed' }), 5000)).toBe('failed');
  });
});

describe('file names', () => {
  it('stores an export under its id', () => {
    expect(exportStorageKey('01JD7ZZZZZZZZZZZZZZZZZZZZZ')).toBe('01JD7ZZZZZZZZZZZZZZZZZZZZZ.csv');
  });

  it('names the download after the org and the day the file was made', () => {
    expect(exportFileName('acme', new Date('2026-11-25T23:59:59Z'))).toBe(
      'audit-log-acme-2026-11-25.csv',
    );
    expect(exportFileName('a"b/c\\d;e f', new Date('2026-01-02T00:00:00Z'))).toBe(
      'audit-log-a_b_c_d_e_f-2026-01-02.csv',
    );
  });
});
