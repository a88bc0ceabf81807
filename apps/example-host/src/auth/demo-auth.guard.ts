import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { DirectoryStore } from '../directory/directory.store';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from '../validation/text.decorators';
import { DemoRequest, DemoUser } from './demo-user.interface';

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,254}$/;

/** A header's value; non-ASCII names travel percent-encoded (UTF-8), as headers are Latin-1. */
function header(req: DemoRequest, name: string): string | undefined {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * DEMO ONLY: trusts whoever the `x-user-id`, `x-user-name` and `x-user-email` headers say the
 * caller is, and sets `req.user = { id, name, email }` (name and e-mail default to the
 * directory's account of that id). A real host puts its own authentication here (a session, a
 * JWT guard...); the audit log only reads `req.user`.
 */
@Injectable()
export class DemoAuthGuard implements CanActivate {
  constructor(private readonly directory: DirectoryStore) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<DemoRequest>();
    const id = header(req, 'x-user-id');
    if (!id)
      throw new UnauthorizedException('Say who you are with the x-user-id header (demo auth)');
    if (!USER_ID.test(id)) throw new UnauthorizedException('x-user-id is not a valid id');
    const name = header(req, 'x-user-name');
    const email = header(req, 'x-user-email');
    if (name !== undefined && name.length > MAX_NAME_LENGTH) {
      throw new UnauthorizedException(`x-user-name must be at most ${MAX_NAME_LENGTH} characters`);
    }
    if (email !== undefined && (email.length > MAX_EMAIL_LENGTH || !email.includes('@'))) {
      throw new UnauthorizedException('x-user-email is not an e-mail address');
    }
    const account = this.directory.findAccount(id);
    const user: DemoUser = { id, name: name ?? account?.name, email: email ?? account?.email };
    if (account) user.orgId = account.orgId;
    req.user = user;
    return true;
  }
}
