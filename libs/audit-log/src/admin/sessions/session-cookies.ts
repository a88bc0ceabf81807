import type { CookieOptions, Request, Response } from 'express';
import { CSRF_COOKIE, SESSION_COOKIE } from '../admin-auth.service';
import type { OpenedAdminSession } from './admin-session.service';

/**
 * The cookies of a UI session, however it was opened (a pasted token, OpenID Connect): the id
 * HttpOnly, the CSRF token readable by the UI's script; both SameSite=Lax, Secure behind HTTPS.
 */
export function setSessionCookies(
  req: Request,
  res: Response,
  session: OpenedAdminSession,
  maxAge: number,
): void {
  const cookie: CookieOptions = { sameSite: 'lax', secure: req.secure, path: '/', maxAge };
  res.cookie(SESSION_COOKIE, session.id, { ...cookie, httpOnly: true });
  res.cookie(CSRF_COOKIE, session.csrfToken, { ...cookie, httpOnly: false });
}

/** Clears both cookies of a UI session. */
export function clearSessionCookies(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { path: '/' });
  res.clearCookie(CSRF_COOKIE, { path: '/' });
}
