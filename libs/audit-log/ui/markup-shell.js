/*
 * The viewer's frame, as static markup that the <auditkit-log> element puts in its shadow root:
 * the top bar (standalone page only), the view slot, the small views and the export dialog.
 * Views are <template>s cloned into <main> one at a time (views.js), so that only the active
 * view's labels and buttons exist. Static text only: user data goes in later by textContent.
 */

export const shellMarkup = `
<a class="skip-link" href="#main">Skip to content</a>

<header class="topbar" id="topbar">
  <div class="topbar-inner">
    <span class="brand">AuditKit</span>
    <div class="topbar-right" id="account" hidden>
      <div class="org-picker" id="org-picker" hidden>
        <label for="org-select">Organization</label>
        <select id="org-select"></select>
      </div>
      <span class="org-single" id="org-single" hidden></span>
      <span class="user-name" id="user-name"></span>
      <button type="button" class="btn btn-subtle" id="sign-out">Sign out</button>
    </div>
  </div>
</header>

<main id="main" tabindex="-1">
  <p class="muted view" id="boot-status" role="status">Loading…</p>
</main>

<template id="tpl-signin">
  <section class="view card narrow">
    <h1>Audit log</h1>
    <div class="alert" id="signin-error" role="alert"></div>
    <div class="signin-provider" id="signin-oidc" hidden>
      <p class="muted">Sign in with your organization account.</p>
      <div class="actions">
        <a class="btn btn-primary" id="signin-oidc-link" href="admin/v1/session/oidc/login">Sign in</a>
      </div>
    </div>
    <form id="signin-form" novalidate hidden>
      <p class="muted">Paste an access token issued for an organization admin.</p>
      <div class="field">
        <label for="token-input">Access token</label>
        <textarea id="token-input" name="token" rows="5" spellcheck="false" autocomplete="off"
                  autocapitalize="off" required></textarea>
      </div>
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="signin-button">Sign in</button>
      </div>
    </form>
    <p class="muted" id="signin-none" hidden>No way to sign in is configured here; ask the operator.</p>
  </section>
</template>

<template id="tpl-viewer-problem">
  <section class="view card narrow">
    <h1>Audit log</h1>
    <p class="alert alert-error" id="viewer-problem" role="alert"></p>
  </section>
</template>

<template id="tpl-forbidden">
  <section class="view card narrow">
    <h1>You need to be an organization admin</h1>
    <p id="forbidden-message">You need to be an organization admin to view the audit log. Your account has no admin role in any organization; ask an admin to grant you one.</p>
    <div class="actions">
      <button type="button" class="btn btn-primary" id="forbidden-sign-out">Sign out</button>
    </div>
  </section>
</template>

<dialog id="export-dialog" aria-labelledby="export-title" aria-describedby="export-desc">
  <form method="dialog" id="export-form">
    <h2 id="export-title">Export audit log</h2>
    <div id="export-desc">
      <p>The activities that match the current filters are exported as a CSV file
        (up to 10,000 newest activities).</p>
      <p>We'll e-mail you a download link. The link is valid for 24 hours.</p>
    </div>
    <div class="export-filters">
      <span class="muted">Current filters:</span>
      <ul id="export-filter-list"></ul>
    </div>
    <div class="export-result" id="export-result" hidden>
      <p id="export-queued"></p>
      <p class="export-status" id="export-status" role="status" aria-live="polite"></p>
    </div>
    <div class="alert alert-error" id="export-error" role="alert"></div>
    <section class="export-recent" id="export-recent" aria-labelledby="export-recent-title">
      <h3 id="export-recent-title">Recent exports</h3>
      <ul id="export-recent-list"></ul>
      <p class="muted" id="export-recent-empty" hidden>None yet.</p>
    </section>
    <div class="actions">
      <button type="button" class="btn btn-subtle" id="export-cancel">Cancel</button>
      <button type="button" class="btn btn-primary" id="export-submit">Export</button>
    </div>
  </form>
</dialog>
`;
