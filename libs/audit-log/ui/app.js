/*
 * AuditKit admin UI: the organization audit log.
 *
 * Plain browser JavaScript as native ES modules, no build step, no dependencies. The
 * <auditkit-log> element (auditkit-log.js) binds the modules to its shadow root and calls
 * boot(). Every module is imported by a relative URL and every API request goes under
 * AuditKit's mount (see api.js), so the UI works at `/`, under any mount path such as
 * `/audit/`, and inside a host's page. All user-controlled text is inserted with textContent,
 * never as HTML.
 *
 * A few modules import each other in cycles (a 401 anywhere ends the session,
 * and the session decides which view shows). That is safe because modules only
 * call what they import from inside functions, never while they are loading.
 */

import { api, ApiError, describeError } from './api.js';
import { context, isViewer } from './context.js';
import { $ } from './dom.js';
import { bindExportDialog, stopExportPolling } from './export-dialog.js';
import { showLog, switchOrg } from './log-view.js';
import {
  loadSignInMethods,
  normalizeSession,
  onSession,
  signIn,
  signOut,
  takeHashToken,
} from './session.js';
import { abortLoads, state } from './state.js';
import { showForbidden, showSignIn, showViewerProblem } from './views.js';

/** Starts the viewer in the element's shadow root (see auditkit-log.js). */
export async function boot() {
  bindStaticHandlers();
  if (isViewer()) {
    startViewer();
    return;
  }
  await loadSignInMethods();
  const token = takeHashToken();
  if (token) {
    await signIn(token, null);
    return;
  }
  try {
    const json = await api('session');
    onSession(normalizeSession(json));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showSignIn();
    else if (err instanceof ApiError && err.status === 403) showForbidden();
    else showSignIn(describeError(err));
  }
}

/**
 * A viewer token is its own session: one org, read-only, nothing to sign in to. Who it was
 * minted for is the host's business; the token's `sub` is shown only as a name.
 */
function startViewer() {
  const claims = context.claims || {};
  if (!context.org) {
    showViewerProblem('This viewer has no organization: set the element\u2019s org attribute.');
    return;
  }
  state.session = {
    sub: typeof claims.sub === 'string' ? claims.sub : 'viewer',
    name: '',
    email: '',
    orgs: [context.org],
  };
  state.org = context.org;
  showLog();
}

/** The host renewed the viewer token: carry on where the reader was, or start again. */
export function refreshToken(token, claims) {
  context.token = token;
  // What the view offers (export, the activity list) follows the new token from its next view.
  context.claims = claims;
  if (!state.session) startViewer();
}

/** The element left the page: stop what runs in the background and forget the session. */
export function releaseViewer() {
  stopExportPolling();
  abortLoads();
  state.session = null;
  state.org = null;
}

let hashListener = false;

/** Handlers for the parts of the page that outlive view changes: the top bar and the dialog. */
function bindStaticHandlers() {
  // A login link opened in a tab that already shows the UI only changes the fragment.
  if (context.standalone && !hashListener) {
    hashListener = true;
    window.addEventListener('hashchange', () => {
      const token = takeHashToken();
      if (token && context.standalone && context.host) signIn(token, null);
    });
  }
  $('sign-out').addEventListener('click', signOut);
  $('org-select').addEventListener('change', (ev) => switchOrg(ev.target.value));
  bindExportDialog();
}
