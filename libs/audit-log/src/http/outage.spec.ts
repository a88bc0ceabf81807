import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { DependencyUnavailableError } from '../exceptions/dependency-unavailable.exception';
import { classifyOutage, OutageMonitor } from './outage';
import { ReadinessService } from './readiness.service';

/** An error shaped as mysql2 makes them. */
function mysql2Error(message: string, code: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('classifyOutage', () => {
  it.each([
    [
      'a refused connection',
      mysql2Error('connect ECONNREFUSED 127.0.0.1:3306', 'ECONNREFUSED', { fatal: true }),
    ],
    ['a reset connection', mysql2Error('read ECONNRESET', 'ECONNRESET', { fatal: true })],
    ['a connect timeout', mysql2Error('connect ETIMEDOUT', 'ETIMEDOUT', { fatal: true })],
    [
      'a lost connection',
      mysql2Error(
        'Connection lost: The server closed the connection.',
        'PROTOCOL_CONNECTION_LOST',
        { fatal: true },
      ),
    ],
    [
      'too many connections',
      mysql2Error('Too many connections', 'ER_CON_COUNT_ERROR', { errno: 1040, sqlState: '08004' }),
    ],
    [
      'a server shutting down',
      mysql2Error('Server shutdown in progress', 'ER_SERVER_SHUTDOWN', { sqlState: '08S01' }),
    ],
    [
      'a pooled connection already closed',
      new Error("Can't add new command when connection is in closed state"),
    ],
    ['a closed pool', new Error('Pool is closed.')],
    [
      'a pool acquire timeout',
      new Error('Timeout acquiring a connection. The pool is probably full.'),
    ],
    ['a busy SQLite file', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
    [
      'a SQLite I/O error',
      Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }),
    ],
    [
      'a QueryFailedError wrapping a reset socket',
      new QueryFailedError('SELECT 1', [], mysql2Error('read ECONNRESET', 'ECONNRESET')),
    ],
    [
      'an AuditWriteError caused by a lost connection',
      new AuditWriteError('could not store', {
        cause: mysql2Error('Connection lost', 'PROTOCOL_CONNECTION_LOST', { fatal: true }),
      }),
    ],
  ])('says the database is down for %s', (_what, err) => {
    expect(classifyOutage(err)).toEqual({ dependency: 'database', detail: expect.any(String) });
  });

  it.each([
    ['a closed connection', new Error('Connection is closed.')],
    [
      'MaxRetriesPerRequestError',
      Object.assign(
        new Error(
          'Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.',
        ),
        { name: 'MaxRetriesPerRequestError' },
      ),
    ],
    [
      'an offline queue turned off',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    ],
    [
      'the export queue',
      new DependencyUnavailableError('redis', 'connect ECONNREFUSED 127.0.0.1:6379'),
    ],
  ])('says Redis is down for %s', (_what, err) => {
    expect(classifyOutage(err)).toEqual({ dependency: 'redis', detail: expect.any(String) });
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    [
      'a bad query',
      new QueryFailedError(
        'SELEC 1',
        [],
        mysql2Error('You have an error in your SQL syntax', 'ER_PARSE_ERROR', {
          sqlState: '42000',
        }),
      ),
    ],
    [
      'a duplicate key',
      mysql2Error("Duplicate entry 'x' for key 'PRIMARY'", 'ER_DUP_ENTRY', { sqlState: '23000' }),
    ],
    // Not from the database driver: an SMTP or JWKS host that is down is not a database outage.
    [
      'a refused socket elsewhere',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:25'), { code: 'ECONNREFUSED' }),
    ],
    ['a string', 'boom'],
    ['undefined', undefined],
  ])('says nothing is down for %s', (_what, err) => {
    expect(classifyOutage(err)).toBeNull();
  });

  it('names the driver code and message on one line, without credentials', () => {
    const err = mysql2Error('connect to mysql://root:s3cret@db:3306\nfailed', 'ECONNREFUSED', {
      fatal: true,
    });
    expect(classifyOutage(err)!.detail).toBe('ECONNREFUSED: connect to mysql://***@db:3306 failed');
  });

  it('survives an error that is its own cause', () => {
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;
    expect(classifyOutage(err)).toBeNull();
  });
});

describe('OutageMonitor', () => {
  let lines: { level: string; message: string }[];

  beforeEach(() => {
    jest.useFakeTimers();
    lines = [];
    jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((m: unknown) => void lines.push({ level: 'error', message: String(m) }));
    jest
      .spyOn(Logger.prototype, 'log')
      .mockImplementation((m: unknown) => void lines.push({ level: 'log', message: String(m) }));
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('logs one line when an outage starts and one when the check answers again', async () => {
    let up = false;
    const readiness = {
      has: () => true,
      check: async () => {
        if (!up) throw new Error('down');
      },
    };
    const monitor = new OutageMonitor(readiness as unknown as ReadinessService);
    for (let i = 0; i < 50; i++) {
      monitor.report({
        dependency: 'database',
        detail: 'PROTOCOL_CONNECTION_LOST: Connection lost',
      });
    }
    monitor.countRefused();
    await jest.advanceTimersByTimeAsync(5000);
    expect(lines).toEqual([
      {
        level: 'error',
        message:
          'Database unreachable (PROTOCOL_CONNECTION_LOST: Connection lost); answering 503 until it is back',
      },
    ]);
    expect(monitor.isDown('database')).toBe(true);

    up = true;
    await jest.advanceTimersByTimeAsync(1000);
    expect(lines[1]).toEqual({
      level: 'log',
      message: 'Database reachable again after 6 s; 51 request(s) answered 503',
    });
    expect(monitor.isDown('database')).toBe(false);

    monitor.report({ dependency: 'database', detail: 'again' });
    expect(lines).toHaveLength(3);
    monitor.onModuleDestroy();
  });

  it('without a check, calls the outage over after 30 s without a failure', async () => {
    const monitor = new OutageMonitor();
    monitor.report({ dependency: 'redis', detail: 'Connection is closed.' });
    await jest.advanceTimersByTimeAsync(20_000);
    monitor.report({ dependency: 'redis', detail: 'Connection is closed.' });
    await jest.advanceTimersByTimeAsync(29_000);
    expect(monitor.isDown('redis')).toBe(true);
    await jest.advanceTimersByTimeAsync(2000);
    expect(monitor.isDown('redis')).toBe(false);
    expect(lines.map((l) => l.message)).toEqual([
      'Redis unreachable (Connection is closed.); answering 503 until it is back',
      'Redis reachable again after 50 s; 2 request(s) answered 503',
    ]);
  });
});
