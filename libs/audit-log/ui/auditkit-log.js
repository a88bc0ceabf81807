/*
 * <auditkit-log>: the audit-log viewer as a custom element, in a shadow root.
 *
 * The standalone admin page (index.html) is this element with the `standalone` attribute; a
 * host's own page embeds the same element with a viewer token that its backend minted:
 *
 *   <script type="module" src="https://app.example.com/audit/auditkit-log.js"></script>
 *   <auditkit-log org="acme" token="avt_…" theme="auto"></auditkit-log>
 *
 * Attributes:
 *   src         where AuditKit is mounted (the API is `admin/v1/` under it); by default the
 *               folder this module was loaded from, which is the mount
 *   org         the organization to show (a viewer token names its own)
 *   token       a viewer token (read-only, one org); without it the element uses the
 *               session cookie of the page's origin, as the standalone page does
 *   theme       light (default), dark, or auto (follows the reader's system)
 *   columns     extra columns, comma-separated (see docs/viewer.md); the property
 *               `targetLinks` ({ type: URL template }) sets where targets link
 *   standalone  the whole admin page: top bar, sign-in, admin pages, address bar and title
 *
 * Plain browser JavaScript as native ES modules, no build step and no dependencies. The style
 * sheets are <link>ed from beside this module, so a page with a strict CSP needs no inline
 * styles allowed. One viewer at a time per page: the modules keep their state at module level;
 * a removed element lets go of it, so an app can show the viewer again later.
 */

import { boot, refreshToken, releaseViewer } from './app.js';
import { bindContext, context } from './context.js';
import { adminMarkup } from './markup-admin.js';
import { logMarkup } from './markup-log.js';
import { shellMarkup } from './markup-shell.js';
import { setViewerConfig } from './viewer-config.js';

// Order matters: later sheets override earlier ones (responsive.css last).
const SHEETS = [
  'base.css',
  'layout.css',
  'integrity.css',
  'controls.css',
  'table.css',
  'chart.css',
  'event-detail.css',
  'dialog.css',
  'destinations.css',
  'api-keys.css',
  'responsive.css',
];

const HERE = new URL('./', import.meta.url).href;

/** The claims of a viewer token, read (not verified: the server does that) to shape the UI. */
export function viewerClaims(token) {
  try {
    const payload = token.replace(/^avt_/, '').split('.')[1];
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : {};
  } catch {
    return {};
  }
}

function stylesheet(root, name) {
  return new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL(name, HERE).href;
    // A sheet that fails to load must not keep the viewer hidden for ever.
    link.addEventListener('load', resolve, { once: true });
    link.addEventListener('error', resolve, { once: true });
    root.append(link);
  });
}

export class AuditkitLogElement extends HTMLElement {
  static get observedAttributes() {
    return ['token', 'columns'];
  }

  /** Where targets link in the host's app, `{ user: '/people/{id}' }`: overrides the server's. */
  get targetLinks() {
    return this._targetLinks;
  }

  set targetLinks(links) {
    this._targetLinks = links;
    this.applyViewerConfig();
  }

  /** The page's own extension settings over the server's (viewer-config.js). */
  applyViewerConfig() {
    const config = {};
    if (this.hasAttribute('columns')) config.columns = this.getAttribute('columns');
    if (this._targetLinks !== undefined) config.targetLinks = this._targetLinks;
    setViewerConfig(config);
  }

  async connectedCallback() {
    const root = this.shadowRoot || this.attachShadow({ mode: 'open' });
    if (context.host && context.host !== this && context.host.isConnected) {
      root.textContent = 'Only one <auditkit-log> element can be shown on a page.';
      return;
    }
    // Built afresh on every connection: a single-page app shows the viewer, navigates away
    // (disconnectedCallback lets go of it) and shows it again, in this element or a new one.
    root.replaceChildren();
    const standalone = this.hasAttribute('standalone');
    const token = (this.getAttribute('token') || '').trim() || null;
    const claims = token ? viewerClaims(token) : {};
    const frame = document.createElement('div');
    frame.className = 'frame';
    frame.hidden = true;
    // Static markup of this package's own (no user data): see markup-*.js.
    frame.innerHTML = shellMarkup + logMarkup + (token ? '' : adminMarkup);
    if (!standalone) {
      frame.querySelector('.skip-link').remove();
      frame.querySelector('#topbar').hidden = true;
    }
    // A fragment link cannot reach into a shadow root: move the focus by hand.
    const skip = frame.querySelector('.skip-link');
    if (skip) {
      skip.addEventListener('click', (ev) => {
        ev.preventDefault();
        root.getElementById('main').focus();
      });
    }
    bindContext({
      host: this,
      root,
      standalone,
      base: new URL(this.getAttribute('src') || HERE, document.baseURI).href,
      token,
      org: this.getAttribute('org') || (typeof claims.org === 'string' ? claims.org : null),
      claims,
    });
    this.applyViewerConfig();
    await Promise.all(SHEETS.map((name) => stylesheet(root, name)));
    // Removed while its sheets loaded: another element may hold the viewer by now.
    if (context.host !== this) return;
    root.append(frame);
    frame.hidden = false;
    boot();
  }

  disconnectedCallback() {
    if (context.host !== this) return;
    releaseViewer();
    bindContext({ host: null, root: null, token: null, claims: {} });
  }

  attributeChangedCallback(name, oldValue, value) {
    // A host renews a short-lived viewer token by setting the attribute again. An element that
    // started on the page's session stays on it: its admin pages are already built.
    const viewer = context.host === this && context.token !== null;
    if (name === 'token' && viewer && oldValue !== value && value) {
      refreshToken(value.trim(), viewerClaims(value.trim()));
    }
    if (name === 'columns' && context.host === this) this.applyViewerConfig();
  }
}

if (!customElements.get('auditkit-log')) customElements.define('auditkit-log', AuditkitLogElement);
