/* Signing in and out: the session cookie the API hands out for an access token. */

import { api, ApiError, describeError } from './api.js';
import { context, isViewer, mountUrl } from './context.js';
import { $ } from './dom.js';
import { stopExportPolling } from './export-dialog.js';
import { str } from './format.js';
import { showLog, pickOrg } from './log-view.js';
import { showApiKeys, wantsApiKeys } from './api-keys.js';
import { showDestinations, wantsDestinations } from './destinations.js';
import { abortLoads, state } from './state.js';
import { showForbidden, showSignIn, showViewerProblem } from './views.js';

export function normalizeSession(json) {
  const d = (json && json.data) || json || {};
  const attrs = d.attributes || d;
  let orgs = attrs.orgs;
  if (orgs && !Array.isArray(orgs) && typeof orgs === 'object') {
    // Tolerate the JWT claim shape { acme: ['org-admin'] }.
    orgs = Object.keys(orgs).filter((k) => Array.isArray(orgs[k]) && orgs[k].includes('org-admin'));
  }
  return {
    sub: str(attrs.sub || d.id),
    name: str(attrs.name),
    email: str(attrs.email),
    orgs: Array.isArray(orgs) ? orgs.map(String) : [],
  };
}

export function takeHashToken() {
  // Only the standalone page owns the address bar; an embedded viewer has a viewer token.
  if (!context.standalone) return null;
  const hash = location.hash.replace(/^#/, '');
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (token === null) return null;
  // Remove the token from the address bar and history right away.
  history.replaceState(history.state, '', location.pathname + location.search);
  return token.trim();
}

export async function signIn(token, button) {
  token = token.replace(/^Bearer\s+/i, '').trim();
  if (!token) {
    showSignIn('Paste an access token to sign in.');
    return;
  }
  if (button) button.disabled = true;
  try {
    const json = await api('session', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
    onSession(normalizeSession(json));
  } catch (err) {
    if (err instanceof ApiError && err.code === 'token_sign_in_disabled') showSignIn(err.message);
    else if (err instanceof ApiError && err.status === 403) showForbidden();
    else if (err instanceof ApiError && err.status === 401)
      showSignIn(`That token was not accepted: ${describeError(err)}`);
    else showSignIn(describeError(err));
  } finally {
    if (button) button.disabled = false;
  }
}

export async function signOut() {
  stopExportPolling();
  abortLoads();
  try {
    await api('session', { method: 'DELETE' });
  } catch {
    // The session may already be gone; signing out locally is what matters.
  }
  state.session = null;
  state.org = null;
  // Signed in through the provider: sign out there too (the server knows whether this browser
  // was; if not, it sends it straight back here).
  if (state.signInMethods && state.signInMethods.oidc) {
    location.assign(mountUrl('admin/v1/session/oidc/logout'));
    return;
  }
  showSignIn(null, 'You have signed out.');
}

/** What the sign-in page offers; an error leaves the token form (the old behaviour). */
export async function loadSignInMethods() {
  try {
    const json = await api('session/providers');
    state.signInMethods = json.data;
  } catch {
    state.signInMethods = null;
  }
}

export function sessionExpired() {
  // Several requests may come back 401 together: the first ends the view and tells the host once.
  if (isViewer() && !state.session) return;
  stopExportPolling();
  abortLoads();
  const dialog = $('export-dialog');
  if (dialog.open) dialog.close();
  state.session = null;
  if (isViewer()) showViewerProblem('This view of the audit log has expired or was refused.');
  else showSignIn('Your session has ended. Sign in again.');
}

export function onSession(session) {
  state.session = session;
  if (!session.orgs.length) {
    showForbidden();
    return;
  }
  if (wantsDestinations()) {
    state.org = pickOrg(session.orgs);
    showDestinations();
    return;
  }
  if (wantsApiKeys()) {
    state.org = pickOrg(session.orgs);
    showApiKeys();
    return;
  }
  showLog();
}
