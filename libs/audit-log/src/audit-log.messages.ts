function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export const writeFailedMessage = (
  count: number,
  err: unknown,
  policy: string,
  retryInMs?: number,
) =>
  policy === 'fail-closed'
    ? `Could not store ${count} audit event(s); their requests fail with 503 (failurePolicy: fail-closed). ${describe(err)}`
    : `Could not store audit events; ${count} kept in the buffer, retrying in ${retryInMs} ms (failurePolicy: fail-open). ${describe(err)}`;

export const bufferFullMessage = (max: number, queued: number) =>
  `Audit log buffer is full (${queued} of ${max} events waiting for the database); the new event is REJECTED, not stored. Check the database.`;

export const droppedOnShutdownMessage = (count: number, unknownIds: string[] = []) =>
  unknownIds.length === 0
    ? `Shut down with ${count} audit event(s) still unwritten: they were NOT stored. Check the database.`
    : `Shut down with ${count} audit event(s) still unwritten: ${count - unknownIds.length} were NOT stored; ${unknownIds.length} were sent without an answer (still in flight, or cut off after COMMIT) and may be stored or not (ids: ${unknownIds.slice(0, 20).join(', ')}${unknownIds.length > 20 ? ', ...' : ''}). Check the database.`;

export const missingActorMessage = (action: string) =>
  `@Audit('${action}'): no actor found on the request; set options.resolveActor or the handler's actor option`;

export const missingOrgMessage = (action: string) =>
  `@Audit('${action}'): no organization found for the request; set options.resolveOrgId or the handler's orgId option`;
