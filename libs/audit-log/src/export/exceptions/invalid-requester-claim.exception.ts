import { ApiException } from '../../http/api-error';
import { invalidEmailClaimMessage, invalidNameClaimMessage } from '../../auth/claims.messages';

/**
 * Thrown by `AuditExportService.request()` when the requester's `email` or `name` cannot be
 * used in the export e-mail (a list of addresses, a line break...). Nothing was recorded or
 * queued; over HTTP it answers 422 `invalid_claim`, naming the claim.
 */
export class InvalidRequesterClaimException extends ApiException {
  constructor(readonly claim: 'email' | 'name') {
    super(422, [
      {
        status: '422',
        code: 'invalid_claim',
        title: 'Invalid token claim',
        detail: claim === 'email' ? invalidEmailClaimMessage() : invalidNameClaimMessage(),
      },
    ]);
    this.name = 'InvalidRequesterClaimException';
  }
}
