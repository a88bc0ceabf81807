/*
 * Views are cloned from <template>s into <main> one at a time, so that only the
 * active view's labels and buttons exist in the document. This file has the
 * shared parts and the two small views; the log view is in log-view.js.
 */

import { context, mountUrl, setTitle, setViewParams, viewParams } from './context.js';
import { $, h } from './dom.js';
import { signIn, signOut } from './session.js';
import { abortLoads, state } from './state.js';

/** Puts `?view=<name>` (and the org, when there are several) in the address bar. */
export function setViewUrl(name) {
  const p = new URLSearchParams({ view: name });
  if (state.session && state.session.orgs.length > 1) p.set('org', state.org);
  setViewParams(p);
}

/** Whether the address bar asks for view `name` (a reload keeps it). */
export function wantsView(name) {
  return viewParams().get('view') === name;
}

export function mountView(templateId) {
  abortLoads();
  const main = $('main');
  main.replaceChildren($(templateId).content.cloneNode(true));
}

export function setAccountBar(visible) {
  const account = $('account');
  account.hidden = !visible;
  if (!visible) return;
  const s = state.session;
  $('user-name').textContent = s.name || s.email || s.sub;
  $('user-name').title = s.email || '';
  const picker = $('org-picker');
  const single = $('org-single');
  if (s.orgs.length > 1) {
    const select = $('org-select');
    select.replaceChildren(...s.orgs.map((o) => h('option', { value: o, text: o })));
    select.value = state.org;
    picker.hidden = false;
    single.hidden = true;
  } else {
    picker.hidden = true;
    single.hidden = false;
    single.textContent = state.org || '';
  }
}

export function showSignIn(error, info) {
  setAccountBar(false);
  mountView('tpl-signin');
  setTitle('Sign in · Audit log');
  const err = $('signin-error');
  err.textContent = error || '';
  err.className = error ? 'alert alert-error' : info ? 'alert alert-info' : 'alert';
  if (!error && info) err.textContent = info;
  // Until the server said otherwise (an older server has no providers route): the token form.
  const methods = state.signInMethods || { tokenSignIn: true, oidc: null };
  if (methods.oidc) {
    $('signin-oidc').hidden = false;
    const link = $('signin-oidc-link');
    link.href = mountUrl(methods.oidc.loginPath);
    link.textContent = `Sign in with ${methods.oidc.providerName}`;
  }
  $('signin-none').hidden = methods.tokenSignIn || !!methods.oidc;
  if (!methods.tokenSignIn) return;
  const form = $('signin-form');
  form.hidden = false;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn($('token-input').value, $('signin-button'));
  });
  if (!methods.oidc) $('token-input').focus();
}

export function showForbidden() {
  setAccountBar(false);
  mountView('tpl-forbidden');
  setTitle('Audit log');
  $('forbidden-sign-out').addEventListener('click', signOut);
}

/**
 * A viewer that cannot go on (its token expired or was refused): say so, and tell the host page
 * with an `auditkit-unauthorized` event, so that it can mint a new token and set it.
 */
export function showViewerProblem(message) {
  abortLoads();
  state.session = null;
  mountView('tpl-viewer-problem');
  $('viewer-problem').textContent = message;
  context.host.dispatchEvent(
    new CustomEvent('auditkit-unauthorized', {
      bubbles: true,
      composed: true,
      detail: { message },
    }),
  );
}
