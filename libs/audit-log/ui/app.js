/*
 * AuditKit admin UI: the organization audit log.
 *
 * Plain browser JavaScript as native ES modules, no build step, no
 * dependencies; this is the entry module that index.html loads. Every module
 * is imported by a relative URL and every API request uses one (see api.js),
 * so the UI works at `/` or under any mount path such as `/audit/`. All
 * user-controlled text is inserted with textContent, never as HTML.
 *
 * A few modules import each other in cycles (a 401 anywhere ends the session,
 * and the session decides which view shows). That is safe because modules only
 * call what they import from inside functions, never while they are loading.
 */

import { api, ApiError, describeError } from './api.js';
import { $ } from './dom.js';
import { bindExportDialog } from './export-dialog.js';
import { switchOrg } from './log-view.js';
import {
  loadSignInMethods,
  normalizeSession,
  onSession,
  signIn,
  signOut,
  takeHashToken,
} from './session.js';
import { showForbidden, showSignIn } from './views.js';

async function boot() {
  bindStaticHandlers();
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

/** Handlers for the parts of the page that outlive view changes: the top bar and the dialog. */
function bindStaticHandlers() {
  // A login link opened in a tab that already shows the UI only changes the fragment.
  window.addEventListener('hashchange', () => {
    const token = takeHashToken();
    if (token) signIn(token, null);
  });
  $('sign-out').addEventListener('click', signOut);
  $('org-select').addEventListener('change', (ev) => switchOrg(ev.target.value));
  bindExportDialog();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
