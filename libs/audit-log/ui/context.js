/*
 * Where the viewer runs: the <auditkit-log> element it renders into and how it was embedded.
 *
 * Every module reaches the page through here, never through `document` or `location` directly,
 * because the viewer lives in a shadow root and may sit inside a host's own page. Only the
 * standalone admin page (the `standalone` attribute) may touch the address bar and the title;
 * an embedded viewer keeps its view and filters to itself.
 *
 * One viewer per page: the modules keep their state at module level (see state.js).
 */

export const context = {
  /** The <auditkit-log> element. */
  host: null,
  /** Its shadow root: every id the views use lives there. */
  root: null,
  /** The standalone admin page: top bar, sign-in, address bar and title. */
  standalone: false,
  /** Where AuditKit is mounted; the REST API is `admin/v1/` under it. */
  base: null,
  /** A viewer token minted by the host's backend (read-only, one org), or null for a session. */
  token: null,
  /** The org an embedded viewer shows; a session may pick among its own. */
  org: null,
  /** The viewer token's claims, read but not verified (the server verifies): they shape the UI. */
  claims: {},
  /** The embedded viewer's own query string (the standalone page uses the address bar's). */
  params: new URLSearchParams(),
};

/** Binds the modules to an element. */
export function bindContext(values) {
  Object.assign(context, values);
}

/** Whether the viewer runs on a viewer token (read-only, no sign-in, no admin pages). */
export function isViewer() {
  return context.token !== null;
}

/** Whether a viewer token lets this viewer export (the CSV link goes to the token's e-mail). */
export function viewerCanExport() {
  return !!(context.claims && context.claims.export);
}

/**
 * Whether a viewer token is narrowed (to actions, actors, products or a start): such a token
 * may not read the integrity report, which counts and names events it does not show.
 */
export function viewerNarrowed() {
  const narrowing = context.claims && context.claims.narrowing;
  return !!(narrowing && Object.keys(narrowing).length);
}

/** The actions a viewer token is narrowed to, or null when it may read them all. */
export function viewerActions() {
  const narrowing = context.claims && context.claims.narrowing;
  return narrowing && Array.isArray(narrowing.actions) ? narrowing.actions.map(String) : null;
}

/** The view's query parameters: the address bar's on the standalone page, else the element's. */
export function viewParams() {
  return context.standalone
    ? new URLSearchParams(location.search)
    : new URLSearchParams(context.params);
}

/** Replaces the view's query parameters (the address bar keeps a reload on the same view). */
export function setViewParams(params) {
  const search = params.toString();
  if (!context.standalone) {
    context.params = new URLSearchParams(search);
    return;
  }
  history.replaceState(history.state, '', location.pathname + (search ? `?${search}` : ''));
}

/** Sets the page title; an embedded viewer leaves the host's title alone. */
export function setTitle(title) {
  if (context.standalone) document.title = title;
}

/** A URL under AuditKit's mount (the API, the sign-in routes). */
export function mountUrl(path) {
  return new URL(path, context.base).href;
}

/** The focused element inside the viewer (document.activeElement stops at the shadow host). */
export function activeElement() {
  return context.root ? context.root.activeElement : null;
}

/** Elements inside the viewer matching `selector`. */
export function queryAll(selector) {
  return context.root ? [...context.root.querySelectorAll(selector)] : [];
}
