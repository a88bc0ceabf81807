function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * The first failed write of an outage, with its cause. Later failures are counted, not logged
 * (fail-open's retries at debug level), until a write succeeds: see `writeRecoveredMessage`.
 */
export const writeFailedMessage = (
  count: number,
  err: unknown,
  policy: string,
  retryInMs?: number,
) =>
  policy === 'fail-closed'
    ? `Could not store ${count} audit event(s); their requests fail with 503 (failurePolicy: fail-closed). ${describe(err)}`
    : `Could not store audit events; ${count} kept in the buffer, retrying in ${retryInMs} ms (failurePolicy: fail-open). ${describe(err)}`;

/** Logged once when a write succeeds after failed ones: what the outage cost. */
export const writeRecoveredMessage = (
  policy: string,
  failedBatches: number,
  refused: number,
  seconds: number,
) =>
  `Audit events are stored again: recovered after ${failedBatches} failed batch(es), ${refused} event(s) refused` +
  (policy === 'fail-closed'
    ? ` (their requests failed with 503) in ${seconds} s (failurePolicy: fail-closed).`
    : ` (buffer full) in ${seconds} s; the buffered events are written now (failurePolicy: fail-open).`);

/** Logged at shutdown when no write succeeded since writes started failing: what that cost. */
export const writeFailingAtShutdownMessage = (
  failedBatches: number,
  refused: number,
  seconds: number,
) =>
  `Shut down with no audit event stored since writes started failing ${seconds} s ago: ${failedBatches} failed batch(es), ${refused} event(s) refused.`;

/** A full buffer refused an event; during an outage only the first refusal is logged. */
export const bufferFullMessage = (max: number, queued: number, duringOutage = false) =>
  `Audit log buffer is full (${queued} of ${max} events waiting for the database); the new event is REJECTED, not stored. ` +
  (duringOutage
    ? 'Until writes succeed again, further refusals are counted, not logged. Check the database.'
    : 'Check the database.');

export const droppedOnShutdownMessage = (count: number, unknownIds: string[] = []) =>
  unknownIds.length === 0
    ? `Shut down with ${count} audit event(s) still unwritten: they were NOT stored. Check the database.`
    : `Shut down with ${count} audit event(s) still unwritten: ${count - unknownIds.length} were NOT stored; ${unknownIds.length} were sent without an answer (still in flight, or cut off after COMMIT) and may be stored or not (ids: ${unknownIds.slice(0, 20).join(', ')}${unknownIds.length > 20 ? ', ...' : ''}). Check the database.`;

export const missingActorMessage = (action: string) =>
  `@Audit('${action}'): no actor found on the request; set options.resolveActor or the handler's actor option`;

export const missingOrgMessage = (action: string) =>
  `@Audit('${action}'): no organization found for the request; set options.resolveOrgId or the handler's orgId option`;
