/** An event that cannot be recorded as given. `field` names the offending path, e.g. `actor.name`. */
export class AuditValidationError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
    /** `unknown_action` is reported as 422 over HTTP; everything else as 400. */
    readonly code: 'invalid_field' | 'unknown_action' = 'invalid_field',
  ) {
    super(`Invalid audit event: ${field} ${detail}`);
    this.name = 'AuditValidationError';
  }
}
