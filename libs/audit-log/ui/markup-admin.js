/*
 * The org admin's pages (see markup-shell.js): destinations and API keys. A viewer token never
 * sees them.
 */

export const adminMarkup = `
<template id="tpl-destinations">
  <section class="view">
    <div class="page-header">
      <div class="page-title">
        <h1>Destinations</h1>
        <p class="muted page-sub">Where the events of <span id="dest-org-name"></span> are
          streamed, in order, each from its own cursor.</p>
      </div>
      <div class="page-actions">
        <button type="button" class="btn btn-subtle" id="log-open">Back to audit log</button>
        <button type="button" class="btn btn-primary" id="dest-add-open">Add destination</button>
      </div>
    </div>

    <form id="dest-form" class="card dest-form" novalidate hidden>
      <h2>Add destination</h2>
      <div class="dest-form-grid">
        <div class="field">
          <label for="dest-type">Type</label>
          <select id="dest-type" name="type">
            <option value="webhook">Webhook (signed NDJSON)</option>
            <option value="splunk_hec">Splunk HTTP Event Collector</option>
            <option value="syslog">Syslog over TLS</option>
            <option value="file">File (NDJSON, for a shipping agent)</option>
          </select>
        </div>
        <div class="field">
          <label for="dest-name">Name</label>
          <input type="text" id="dest-name" name="name" maxlength="200" autocomplete="off"
                 placeholder="Optional">
        </div>
        <div class="field field-wide" id="dest-url-field">
          <label for="dest-url">URL</label>
          <input type="url" id="dest-url" name="url" autocomplete="off" spellcheck="false"
                 placeholder="https://siem.example.com/auditkit" required>
        </div>
        <div class="field" id="dest-host-field" hidden>
          <label for="dest-host">Host</label>
          <input type="text" id="dest-host" name="host" autocomplete="off" spellcheck="false"
                 placeholder="siem.example.com">
        </div>
        <div class="field" id="dest-port-field" hidden>
          <label for="dest-port">Port</label>
          <input type="text" id="dest-port" name="port" inputmode="numeric" autocomplete="off"
                 placeholder="6514">
        </div>
        <div class="field field-wide" id="dest-ca-field" hidden>
          <label for="dest-ca">CA certificate</label>
          <textarea id="dest-ca" name="ca" rows="3" spellcheck="false"
                    placeholder="Optional: PEM of the CA that signed the receiver's certificate"></textarea>
        </div>
        <div class="field field-wide" id="dest-path-field" hidden>
          <label for="dest-path">File path</label>
          <input type="text" id="dest-path" name="path" autocomplete="off" spellcheck="false"
                 placeholder="siem/audit.ndjson (under the directory the operator set)">
        </div>
        <div class="field" id="dest-secret-field">
          <label for="dest-secret" id="dest-secret-label">Signing secret</label>
          <input type="password" id="dest-secret" name="secret" autocomplete="new-password"
                 spellcheck="false" required>
        </div>
        <div class="field" id="dest-index-field" hidden>
          <label for="dest-index">Index</label>
          <input type="text" id="dest-index" name="index" autocomplete="off" placeholder="Optional">
        </div>
        <div class="field">
          <label for="dest-start">Start from</label>
          <select id="dest-start" name="start">
            <option value="beginning">The oldest stored event</option>
            <option value="now">New events only</option>
          </select>
        </div>
      </div>
      <p class="muted dest-hint">Secrets are stored encrypted and never shown again. Plain
        http:// is accepted only for this machine (localhost).</p>
      <div class="alert alert-error" id="dest-form-error" role="alert"></div>
      <div class="actions">
        <button type="button" class="btn btn-subtle" id="dest-cancel">Cancel</button>
        <button type="submit" class="btn btn-primary" id="dest-create">Create</button>
      </div>
    </form>

    <div class="alert alert-error" id="dest-error" role="alert"></div>
    <p class="sr-only" id="dest-status" role="status" aria-live="polite"></p>

    <div class="table-wrap">
      <table class="destinations" id="dest-table">
        <thead>
          <tr>
            <th scope="col">Destination</th>
            <th scope="col">State</th>
            <th scope="col">Cursor</th>
            <th scope="col">Lag</th>
            <th scope="col">Last delivery</th>
            <th scope="col">Last error</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody id="dest-body"></tbody>
      </table>
      <p class="empty" id="dest-empty" hidden>No destinations yet. Add one to stream this
        organization's events to a SIEM.</p>
      <p class="loading muted" id="dest-loading">Loading destinations…</p>
    </div>
  </section>
</template>

<template id="tpl-api-keys">
  <section class="view">
    <div class="page-header">
      <div class="page-title">
        <h1>API keys</h1>
        <p class="muted page-sub">Keys for integrations with <span id="keys-org-name"></span>:
          each reads, records or exports within its scope until it expires or is revoked.</p>
      </div>
      <div class="page-actions">
        <button type="button" class="btn btn-subtle" id="keys-log-open">Back to audit log</button>
        <button type="button" class="btn btn-primary" id="key-add-open">Create API key</button>
      </div>
    </div>

    <form id="key-form" class="card dest-form" novalidate hidden>
      <h2>Create API key</h2>
      <div class="dest-form-grid">
        <div class="field">
          <label for="key-name">Name</label>
          <input type="text" id="key-name" name="name" maxlength="100" autocomplete="off"
                 placeholder="siem" required>
        </div>
        <div class="field">
          <label for="key-expiry">Expires in</label>
          <select id="key-expiry" name="expiresInDays">
            <option value="7">7 days</option>
            <option value="30" selected>30 days</option>
            <option value="90">90 days</option>
            <option value="180">180 days</option>
            <option value="365">1 year</option>
          </select>
        </div>
        <fieldset class="field field-wide key-scopes">
          <legend>Scope</legend>
          <label><input type="checkbox" name="key-scope" value="events:read" checked> Read events</label>
          <label><input type="checkbox" name="key-scope" value="events:write"> Record events</label>
          <label><input type="checkbox" name="key-scope" value="exports"> Export (mailed to you)</label>
        </fieldset>
      </div>
      <div class="alert alert-error" id="key-form-error" role="alert"></div>
      <div class="actions">
        <button type="button" class="btn btn-subtle" id="key-cancel">Cancel</button>
        <button type="submit" class="btn btn-primary" id="key-create">Create</button>
      </div>
    </form>

    <div class="card key-secret-box" id="key-secret-box" hidden>
      <h2>Copy the new key now</h2>
      <p class="muted">It is shown this once: AuditKit keeps only a hash of it. Send it as
        <code>Authorization: Bearer &lt;key&gt;</code>.</p>
      <div class="key-secret-row">
        <label class="sr-only" for="key-secret">New API key</label>
        <input type="text" id="key-secret" readonly spellcheck="false">
        <button type="button" class="btn btn-default" id="key-copy">Copy</button>
      </div>
    </div>

    <div class="alert alert-error" id="keys-error" role="alert"></div>
    <p class="sr-only" id="keys-status" role="status" aria-live="polite"></p>

    <div class="table-wrap">
      <table class="destinations" id="keys-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scope</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody id="keys-body"></tbody>
      </table>
      <p class="empty" id="keys-empty" hidden>No API keys yet.</p>
      <p class="loading muted" id="keys-loading">Loading API keys…</p>
    </div>
  </section>
</template>
`;
