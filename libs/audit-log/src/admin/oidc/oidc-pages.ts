import type { Request, Response } from 'express';
import type { ApiErrorObject } from '../../http/api-error';

/** From the OIDC routes (`admin/v1/session/oidc/*`) back to the web UI, relatively. */
export const UI_FROM_OIDC = '../../../../';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Whether the request is a browser's navigation rather than a script's. */
export function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

/**
 * A refused sign-in as a page of the web UI's look: the callback is a browser navigation, and
 * JSON there would be a dead end. `signOutOfProvider` offers to end the provider's session
 * (a user without admin rights otherwise comes straight back as the same person).
 */
export function sendRefusalPage(
  res: Response,
  status: number,
  error: ApiErrorObject,
  signOutOfProvider: string | null,
): void {
  const forbidden = error.code === 'not_org_admin';
  const heading = forbidden ? 'You need to be an organization admin' : 'Sign-in failed';
  const detail = error.detail ?? error.title;
  const actions = [
    signOutOfProvider
      ? `<a class="btn btn-primary" href="logout">Sign out of ${escape(signOutOfProvider)}</a>`
      : '',
    `<a class="btn ${signOutOfProvider ? 'btn-subtle' : 'btn-primary'}" href="${UI_FROM_OIDC}">Back to sign-in</a>`,
  ].join('\n        ');
  res
    .status(status)
    .setHeader('Content-Type', 'text/html; charset=utf-8')
    .setHeader(
      'Content-Security-Policy',
      "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    .setHeader('Cache-Control', 'no-store')
    .setHeader('Referrer-Policy', 'no-referrer').send(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(heading)} · Audit log</title>
  <link rel="stylesheet" href="${UI_FROM_OIDC}base.css">
  <link rel="stylesheet" href="${UI_FROM_OIDC}layout.css">
  <link rel="stylesheet" href="${UI_FROM_OIDC}controls.css">
  <link rel="stylesheet" href="${UI_FROM_OIDC}responsive.css">
</head>
<body>
  <header class="topbar"><div class="topbar-inner"><span class="brand">AuditKit</span></div></header>
  <main id="main">
    <section class="view card narrow">
      <h1>${escape(heading)}</h1>
      <p id="refusal-message">${escape(detail)}</p>
      <p class="muted">Error: ${escape(error.code ?? 'error')}</p>
      <div class="actions">
        ${actions}
      </div>
    </section>
  </main>
</body>
</html>
`);
}
