/*
 * AuditKit admin UI: the organization audit log.
 *
 * Plain browser JavaScript, no build step, no dependencies. Every request uses
 * a URL relative to the page (e.g. `admin/v1/session`), so the UI works at `/`
 * or under any mount path such as `/audit/`. All user-controlled text is
 * inserted with textContent, never as HTML.
 */
(() => {
  'use strict';

  const API = 'admin/v1/';
  const PAGE_SIZE = 50;
  const POLL_MS = 2000;
  const CSRF_COOKIE = 'auditkit_csrf';
  const CSRF_HEADER = 'X-CSRF-Token';
  const ORG_STORAGE_KEY = 'auditkit.org';
  const TERMINAL_EXPORT_STATES = new Set(['ready', 'failed', 'expired']);

  const state = {
    session: null, // { sub, name, email, orgs: [] }
    org: null,
    actions: new Map(), // action id -> { displayName, category, groupDisplayName }
    categories: new Map(), // category -> groupDisplayName
    applied: emptyFilters(),
    next: null,
    count: 0,
    loadController: null,
    actionsController: null,
    exportTimer: null,
    exportRun: 0,
    integrityController: null,
    integrityOrg: null, // the org the badge was last checked (or is being checked) for
  };

  // ---------------------------------------------------------------- helpers

  function $(id) {
    return document.getElementById(id);
  }

  /** Creates an element; `text` goes through textContent, attributes through setAttribute. */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function emptyFilters() {
    return { q: '', from: '', to: '', action: '' };
  }

  function readCookie(name) {
    for (const part of document.cookie ? document.cookie.split(';') : []) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() === name) {
        const raw = part.slice(eq + 1).trim();
        try {
          return decodeURIComponent(raw);
        } catch {
          return raw;
        }
      }
    }
    return null;
  }

  function isString(v) {
    return typeof v === 'string' && v !== '';
  }

  function str(v) {
    return v === undefined || v === null ? '' : String(v);
  }

  function formatCount(n) {
    return new Intl.NumberFormat().format(n);
  }

  // -------------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, errors, fallback) {
      const first = (errors && errors[0]) || {};
      super(first.detail || first.title || fallback || `Request failed (HTTP ${status}).`);
      this.status = status;
      this.errors = errors || [];
      this.parameter = first.source && first.source.parameter ? String(first.source.parameter) : null;
      this.code = first.code || null;
    }
  }

  /**
   * fetch() wrapper: relative URL, same-origin credentials, CSRF header on
   * every non-GET request, JSON in and out. Throws ApiError on non-2xx.
   */
  async function api(path, options = {}) {
    const method = (options.method || 'GET').toUpperCase();
    const headers = { Accept: 'application/json', ...(options.headers || {}) };
    if (method !== 'GET' && method !== 'HEAD') {
      const csrf = readCookie(CSRF_COOKIE);
      if (csrf) headers[CSRF_HEADER] = csrf;
    }
    let body;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let res;
    try {
      res = await fetch(API + path, {
        method,
        headers,
        body,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: options.signal,
      });
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      throw new ApiError(0, null, 'Could not reach the server. Check your connection and try again.');
    }
    let json = null;
    const text = await res.text();
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (!res.ok) {
      const errors = json && Array.isArray(json.errors) ? json.errors : null;
      throw new ApiError(res.status, errors, `Request failed (HTTP ${res.status}).`);
    }
    return json || {};
  }

  /** "detail (parameter “from”)" — the message shown for an API error. */
  function describeError(err) {
    if (!(err instanceof ApiError)) return (err && err.message) || 'Something went wrong.';
    let text = err.message;
    if (err.parameter) text += ` (parameter “${err.parameter}”)`;
    return text;
  }

  function isAbort(err) {
    return err && err.name === 'AbortError';
  }

  // ---------------------------------------------------------------- session

  function normalizeSession(json) {
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

  function takeHashToken() {
    const hash = location.hash.replace(/^#/, '');
    if (!hash) return null;
    const params = new URLSearchParams(hash);
    const token = params.get('token');
    if (token === null) return null;
    // Remove the token from the address bar and history right away.
    history.replaceState(history.state, '', location.pathname + location.search);
    return token.trim();
  }

  async function boot() {
    bindStaticHandlers();
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

  async function signIn(token, button) {
    token = token.replace(/^Bearer\s+/i, '').trim();
    if (!token) {
      showSignIn('Paste an access token to sign in.');
      return;
    }
    if (button) button.disabled = true;
    try {
      const json = await api('session', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      onSession(normalizeSession(json));
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) showForbidden();
      else if (err instanceof ApiError && err.status === 401)
        showSignIn(`That token was not accepted: ${describeError(err)}`);
      else showSignIn(describeError(err));
    } finally {
      if (button) button.disabled = false;
    }
  }

  async function signOut() {
    stopExportPolling();
    abortLoads();
    try {
      await api('session', { method: 'DELETE' });
    } catch {
      // The session may already be gone; signing out locally is what matters.
    }
    state.session = null;
    state.org = null;
    showSignIn(null, 'You have signed out.');
  }

  function sessionExpired() {
    stopExportPolling();
    abortLoads();
    const dialog = $('export-dialog');
    if (dialog.open) dialog.close();
    state.session = null;
    showSignIn('Your session has ended. Sign in again.');
  }

  function onSession(session) {
    state.session = session;
    if (!session.orgs.length) {
      showForbidden();
      return;
    }
    showLog();
  }

  // ------------------------------------------------------------------ views

  function mountView(templateId) {
    abortLoads();
    const main = $('main');
    main.replaceChildren($(templateId).content.cloneNode(true));
  }

  function setAccountBar(visible) {
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

  function showSignIn(error, info) {
    setAccountBar(false);
    mountView('tpl-signin');
    document.title = 'Sign in · Audit log';
    const err = $('signin-error');
    err.textContent = error || '';
    err.className = error ? 'alert alert-error' : info ? 'alert alert-info' : 'alert';
    if (!error && info) err.textContent = info;
    $('signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      signIn($('token-input').value, $('signin-button'));
    });
    $('token-input').focus();
  }

  function showForbidden() {
    setAccountBar(false);
    mountView('tpl-forbidden');
    document.title = 'Audit log';
    $('forbidden-sign-out').addEventListener('click', signOut);
  }

  function pickOrg(orgs) {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get('org');
    if (fromUrl && orgs.includes(fromUrl)) return fromUrl;
    let stored = null;
    try {
      stored = localStorage.getItem(ORG_STORAGE_KEY);
    } catch {
      stored = null;
    }
    if (stored && orgs.includes(stored)) return stored;
    return orgs[0];
  }

  function showLog() {
    state.org = pickOrg(state.session.orgs);
    setAccountBar(true);
    mountView('tpl-log');
    document.title = 'Audit log';
    $('org-name').textContent = state.org;
    resetIntegrity();

    // Filters from the address bar, so a filtered view can be shared or reloaded.
    const params = new URLSearchParams(location.search);
    const initial = {
      q: params.get('q') || '',
      from: validDay(params.get('from')) ? params.get('from') : '',
      to: validDay(params.get('to')) ? params.get('to') : '',
      action: params.get('action') || '',
    };
    $('f-q').value = initial.q;
    $('f-from').value = initial.from;
    $('f-to').value = initial.to;

    $('filters').addEventListener('submit', (ev) => {
      ev.preventDefault();
      applyFromForm();
    });
    for (const id of ['f-q', 'f-from', 'f-to', 'f-action']) {
      $(id).addEventListener('input', () => $(id).removeAttribute('aria-invalid'));
    }
    $('load-more').addEventListener('click', () => loadEvents(true));
    $('export-open').addEventListener('click', openExport);
    $('events-body').addEventListener('click', onTableClick);
    $('events-body').addEventListener('keydown', onTableKey);
    $('integrity-recheck').addEventListener('click', () => {
      if (!state.integrityController) checkIntegrity();
    });

    loadActions(initial.action);
    state.applied = initial;
    syncUrl();
    loadEvents(false);
  }

  // ---------------------------------------------------------------- filters

  function validDay(v) {
    return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
  }

  /** From = start of that day in UTC, To = end of that day in UTC. */
  function dayStartIso(day) {
    return `${day}T00:00:00.000Z`;
  }

  function dayEndIso(day) {
    return `${day}T23:59:59.999Z`;
  }

  function readForm() {
    return {
      q: $('f-q').value.trim(),
      from: $('f-from').value,
      to: $('f-to').value,
      action: $('f-action').value,
    };
  }

  function validateFilters(f) {
    if ($('f-from').validity && $('f-from').validity.badInput)
      return { parameter: 'from', message: 'Enter a valid From date.' };
    if ($('f-to').validity && $('f-to').validity.badInput)
      return { parameter: 'to', message: 'Enter a valid To date.' };
    if (f.from && f.to && f.from > f.to)
      return { parameter: 'to', message: 'The To date must be on or after the From date.' };
    return null;
  }

  function sameFilters(a, b) {
    return a.q === b.q && a.from === b.from && a.to === b.to && a.action === b.action;
  }

  /** Reads, validates and applies the filter form. Returns false when invalid. */
  function applyFromForm() {
    const f = readForm();
    const invalid = validateFilters(f);
    clearInvalid();
    if (invalid) {
      showLogError(`${invalid.message} (parameter “${invalid.parameter}”)`, invalid.parameter);
      return false;
    }
    state.applied = f;
    syncUrl();
    loadEvents(false);
    return true;
  }

  function queryFor(f) {
    const p = new URLSearchParams();
    if (f.q) p.set('q', f.q);
    if (f.from) p.set('from', dayStartIso(f.from));
    if (f.to) p.set('to', dayEndIso(f.to));
    if (f.action) p.set('action', f.action);
    return p;
  }

  function exportBody(f) {
    const body = {};
    if (f.q) body.q = f.q;
    if (f.from) body.from = dayStartIso(f.from);
    if (f.to) body.to = dayEndIso(f.to);
    if (f.action) body.action = [f.action];
    return body;
  }

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.session && state.session.orgs.length > 1) p.set('org', state.org);
    const f = state.applied;
    if (f.q) p.set('q', f.q);
    if (f.from) p.set('from', f.from);
    if (f.to) p.set('to', f.to);
    if (f.action) p.set('action', f.action);
    const search = p.toString();
    history.replaceState(history.state, '', location.pathname + (search ? `?${search}` : ''));
  }

  const PARAM_FIELDS = { q: 'f-q', from: 'f-from', to: 'f-to', action: 'f-action', category: 'f-action' };

  function clearInvalid() {
    for (const id of Object.values(PARAM_FIELDS)) {
      const node = $(id);
      if (node) node.removeAttribute('aria-invalid');
    }
  }

  function showLogError(message, parameter) {
    const box = $('log-error');
    if (!box) return;
    box.textContent = message || '';
    const field = parameter && PARAM_FIELDS[parameter] ? $(PARAM_FIELDS[parameter]) : null;
    if (field) field.setAttribute('aria-invalid', 'true');
  }

  // ----------------------------------------------------------- event actions

  async function loadActions(selected) {
    if (state.actionsController) state.actionsController.abort();
    const controller = new AbortController();
    state.actionsController = controller;
    const org = state.org;
    state.actions = new Map();
    state.categories = new Map();
    try {
      const json = await api(`orgs/${encodeURIComponent(org)}/event-actions`, { signal: controller.signal });
      if (controller.signal.aborted || org !== state.org) return;
      const groups = new Map();
      for (const item of Array.isArray(json.data) ? json.data : []) {
        const a = item.attributes || item;
        const id = str(item.id || a.id);
        if (!id) continue;
        const entry = {
          displayName: str(a.displayName) || id,
          category: str(a.category),
          groupDisplayName: str(a.groupDisplayName) || str(a.category) || 'Other',
        };
        state.actions.set(id, entry);
        if (entry.category) state.categories.set(entry.category, entry.groupDisplayName);
        if (!groups.has(entry.groupDisplayName)) groups.set(entry.groupDisplayName, []);
        groups.get(entry.groupDisplayName).push({ id, ...entry });
      }
      const select = $('f-action');
      if (!select) return;
      const current = select.value || selected || '';
      const nodes = [h('option', { value: '', text: 'All activities' })];
      for (const [label, items] of groups) {
        items.sort((x, y) => x.displayName.localeCompare(y.displayName));
        nodes.push(h('optgroup', { label }, items.map((it) => h('option', { value: it.id, text: it.displayName }))));
      }
      if (current && !state.actions.has(current)) {
        nodes.push(h('optgroup', { label: 'Other' }, h('option', { value: current, text: current })));
      }
      select.replaceChildren(...nodes);
      select.value = current;
      // Display names may have arrived after the first page of events.
      refreshActionTags();
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 401) return sessionExpired();
      const select = $('f-action');
      if (select && selected && !select.querySelector(`option[value="${CSS.escape(selected)}"]`)) {
        select.append(h('option', { value: selected, text: selected }));
        select.value = selected;
      }
      showLogError(`Could not load the activity list: ${describeError(err)}`);
    }
  }

  function actionLabel(key) {
    const a = state.actions.get(key);
    return a ? a.displayName : key;
  }

  function refreshActionTags() {
    for (const tag of document.querySelectorAll('#events-body [data-action-key]')) {
      tag.textContent = actionLabel(tag.getAttribute('data-action-key'));
    }
  }

  // ----------------------------------------------------------------- events

  function abortLoads() {
    if (state.loadController) state.loadController.abort();
    state.loadController = null;
    if (state.actionsController) state.actionsController.abort();
    state.actionsController = null;
    if (state.integrityController) state.integrityController.abort();
    state.integrityController = null;
    state.integrityOrg = null;
  }

  async function loadEvents(append) {
    if (append && !state.next) return;
    if (state.loadController) state.loadController.abort();
    const controller = new AbortController();
    state.loadController = controller;
    const params = queryFor(state.applied);
    params.set('limit', String(PAGE_SIZE));
    if (append) params.set('cursor', state.next);

    const body = $('events-body');
    const more = $('load-more');
    const loading = $('events-loading');
    if (!append) {
      showLogError('');
      clearInvalid();
      $('events-empty').hidden = true;
      body.replaceChildren();
      state.count = 0;
      state.next = null;
      more.hidden = true;
    }
    more.disabled = true;
    loading.hidden = false;
    $('events-table').setAttribute('aria-busy', 'true');
    setStatus('Loading…');

    try {
      // Reorder so the URL reads naturally: limit first, like the contract's examples.
      const ordered = new URLSearchParams();
      ordered.set('limit', params.get('limit'));
      for (const [k, v] of params) if (k !== 'limit') ordered.append(k, v);
      const json = await api(`orgs/${encodeURIComponent(state.org)}/events?${ordered}`, {
        signal: controller.signal,
      });
      if (controller !== state.loadController) return;
      if (append && body.firstChild) {
        showLogError('');
      }
      const items = Array.isArray(json.data) ? json.data : [];
      const frag = document.createDocumentFragment();
      for (const item of items) {
        const ev = normalizeEvent(item);
        renderEvent(frag, ev);
      }
      body.append(frag);
      state.count += items.length;
      state.next = json.meta && isString(json.meta.next) ? json.meta.next : null;
      more.hidden = !state.next;
      $('events-empty').hidden = state.count > 0;
      setStatus(
        state.count === 0
          ? '0 activities found.'
          : `Showing ${formatCount(state.count)} ${state.count === 1 ? 'activity' : 'activities'}${state.next ? ', more available' : ''}.`,
      );
    } catch (err) {
      if (isAbort(err)) return;
      if (controller !== state.loadController) return;
      if (err instanceof ApiError && err.status === 401) return sessionExpired();
      showLogError(describeError(err), err instanceof ApiError ? err.parameter : null);
      setStatus('');
      // Keep "Load more" available to retry after a failed page.
      more.hidden = !(append && state.next);
    } finally {
      if (controller === state.loadController) {
        state.loadController = null;
        loading.hidden = true;
        more.disabled = false;
        $('events-table').removeAttribute('aria-busy');
        // Only now: the log comes first, the (slower) integrity check after it.
        if (state.integrityOrg !== state.org) checkIntegrity();
      }
    }
  }

  function setStatus(text) {
    const node = $('log-status');
    if (node) node.textContent = text;
  }

  /** Accepts the JSON:API shape of section 5 and, defensively, the raw event of section 4. */
  function normalizeEvent(item) {
    const a = (item && item.attributes) || item || {};
    const person = (p) => {
      if (!p || typeof p !== 'object') return { id: '', type: '', name: '', email: '' };
      const pa = p.attributes || {};
      const rest = { ...p, ...pa };
      delete rest.attributes;
      return {
        ...rest,
        id: str(p.id),
        type: str(p.type),
        name: str(pa.name !== undefined ? pa.name : p.name),
        email: str(pa.email !== undefined ? pa.email : p.email),
      };
    };
    const targets = (Array.isArray(a.context) ? a.context : Array.isArray(a.targets) ? a.targets : []).map(person);
    let containers = Array.isArray(a.container) ? a.container.map(person) : [];
    if (!containers.length && a.site && typeof a.site === 'object') {
      containers = [{ ...person(a.site), type: a.site.type ? str(a.site.type) : 'site' }];
    }
    const site = containers.find((c) => c.type === 'site') || containers[0] || null;
    const message = (item && item.message) || a.message || null;
    return {
      raw: item,
      id: str((item && item.id) || a.id),
      seq: a.seq,
      time: str(a.time),
      action: str(a.action),
      category: str(a.category),
      actor: person(a.actor),
      targets,
      containers,
      site,
      product: str(a.product),
      location: a.location && typeof a.location === 'object' ? a.location : {},
      outcome: str(a.outcome),
      metadata: a.metadata,
      message: message && typeof message === 'object' ? str(message.content) : str(message),
    };
  }

  const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

  function parseTime(t) {
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  let rowCounter = 0;

  function renderEvent(parent, ev) {
    const detailId = `event-detail-${++rowCounter}`;
    const d = parseTime(ev.time);
    const iso = d ? d.toISOString() : ev.time;

    const dateCell = h(
      'td',
      { className: 'cell-date' },
      h(
        'time',
        { datetime: iso, title: iso },
        h('span', { className: 'date-day', text: d ? dateFmt.format(d) : ev.time }),
        d ? h('span', { className: 'date-time muted', text: timeFmt.format(d) }) : null,
      ),
    );

    const actorName = ev.actor.name || ev.actor.email || ev.actor.id || 'Unknown actor';
    const actorCell = h(
      'td',
      { className: 'cell-actor' },
      h('div', { className: 'actor-name pre clamp', text: actorName, title: actorName }),
      ev.actor.email && ev.actor.name ? h('div', { className: 'actor-email muted pre clamp', text: ev.actor.email }) : null,
      ev.actor.type && ev.actor.type !== 'user' ? h('span', { className: 'tag tag-subtle', text: ev.actor.type }) : null,
    );

    const actionCell = h(
      'td',
      { className: 'cell-action' },
      h('div', { className: 'message pre clamp', text: ev.message || actionLabel(ev.action) }),
      h('span', { className: 'tag', 'data-action-key': ev.action, title: ev.action, text: actionLabel(ev.action) }),
    );

    const details = h('dl', { className: 'details-list' });
    const addDetail = (label, value, cls) => {
      if (!isString(value)) return;
      details.append(h('div', { className: `detail ${cls || ''}` }, h('dt', { text: label }), h('dd', { className: 'pre clamp', text: value })));
    };
    addDetail('Site', ev.site ? ev.site.name || ev.site.id : '');
    addDetail('Product', ev.product);
    addDetail('IP address', str(ev.location.ip));
    addDetail('Outcome', outcomeLabel(ev.outcome), ev.outcome === 'failure' ? 'outcome-failure' : 'outcome-ok');
    const detailsCell = h('td', { className: 'cell-details' }, details);

    const row = h(
      'tr',
      {
        className: `event-row${ev.outcome === 'failure' ? ' is-failure' : ''}`,
        tabindex: '0',
        'aria-expanded': 'false',
        'aria-controls': detailId,
        'data-event-id': ev.id,
      },
      dateCell,
      actorCell,
      actionCell,
      detailsCell,
    );
    row._event = ev;
    const detailRow = h('tr', { className: 'detail-row', id: detailId, hidden: true });
    parent.append(row, detailRow);
  }

  function outcomeLabel(outcome) {
    if (outcome === 'success') return 'Success';
    if (outcome === 'failure') return 'Failure';
    return outcome;
  }

  function onTableClick(ev) {
    const row = ev.target.closest('tr.event-row');
    if (!row) return;
    if (ev.target.closest('a, button, summary, input, select, textarea')) return;
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed && row.contains(selection.anchorNode)) return;
    toggleRow(row);
  }

  function onTableKey(ev) {
    const row = ev.target;
    if (!(row instanceof HTMLTableRowElement) || !row.classList.contains('event-row')) return;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      toggleRow(row);
    }
  }

  function toggleRow(row) {
    const detail = $(row.getAttribute('aria-controls'));
    if (!detail) return;
    const open = row.getAttribute('aria-expanded') === 'true';
    if (open) {
      detail.hidden = true;
      row.setAttribute('aria-expanded', 'false');
      row.classList.remove('is-open');
      return;
    }
    if (!detail.firstChild) detail.append(renderDetail(row._event));
    detail.hidden = false;
    row.setAttribute('aria-expanded', 'true');
    row.classList.add('is-open');
  }

  function json(value) {
    try {
      return JSON.stringify(value === undefined ? null : value, null, 2);
    } catch {
      return String(value);
    }
  }

  function renderDetail(ev) {
    const dl = h('dl', { className: 'detail-grid' });
    const add = (label, value) => {
      if (value === undefined || value === null || value === '') return;
      dl.append(h('dt', { text: label }), h('dd', {}, value instanceof Node ? value : h('span', { className: 'pre', text: str(value) })));
    };
    const d = parseTime(ev.time);
    add('Event ID', ev.id);
    add('Sequence', ev.seq !== undefined && ev.seq !== null ? String(ev.seq) : '');
    add('Time (UTC)', d ? d.toISOString() : ev.time);
    add('Local time', d ? fullFmt.format(d) : '');
    add('Action', ev.action ? `${actionLabel(ev.action)} (${ev.action})` : '');
    const group = state.categories.get(ev.category);
    add('Category', ev.category ? (group ? `${group} (${ev.category})` : ev.category) : '');
    add('Message', ev.message);
    add('Actor', personBlock(ev.actor));
    add(
      'Targets',
      ev.targets.length ? h('ul', { className: 'plain-list' }, ev.targets.map((t) => h('li', {}, personBlock(t)))) : 'None',
    );
    if (ev.containers.length) {
      add(
        ev.containers.length > 1 ? 'Containers' : 'Site',
        h('ul', { className: 'plain-list' }, ev.containers.map((c) => h('li', {}, personBlock(c)))),
      );
    }
    add('Product', ev.product);
    add('IP address', str(ev.location.ip));
    add('User agent', str(ev.location.userAgent));
    const otherLocation = Object.keys(ev.location).filter((k) => k !== 'ip' && k !== 'userAgent');
    if (otherLocation.length) add('Location', h('pre', { className: 'json', text: json(ev.location) }));
    add('Outcome', outcomeLabel(ev.outcome));
    add('Metadata', h('pre', { className: 'json', text: json(ev.metadata || {}) }));

    const raw = h(
      'details',
      { className: 'raw' },
      h('summary', { text: 'Raw event JSON' }),
      h('pre', { className: 'json', text: json(ev.raw) }),
    );
    return h('td', { colspan: '4' }, h('div', { className: 'detail-panel' }, dl, raw));
  }

  function personBlock(p) {
    const main = p.name || p.email || p.id || '—';
    const extra = [];
    if (p.email && p.name) extra.push(p.email);
    if (p.type) extra.push(p.type);
    if (p.id && p.id !== main) extra.push(`id ${p.id}`);
    return h(
      'span',
      { className: 'person' },
      h('span', { className: 'pre person-name', text: main }),
      extra.length ? h('span', { className: 'muted pre person-extra', text: ` · ${extra.join(' · ')}` }) : null,
    );
  }

  // -------------------------------------------------------------- integrity

  const SVG_NS = 'http://www.w3.org/2000/svg';
  // 16×16 outline icons, so that the state never rests on colour alone.
  const INTEGRITY_ICONS = {
    loading: ['M8 1.5a6.5 6.5 0 1 1-6.5 6.5'],
    verified: ['M8 1 2.5 3v4.2c0 3.4 2.3 6.3 5.5 7.3 3.2-1 5.5-3.9 5.5-7.3V3L8 1Z', 'm5.3 8 1.9 1.9 3.6-3.8'],
    unsigned: ['M14 8A6 6 0 1 1 2 8a6 6 0 0 1 12 0Z', 'm5.3 8 1.9 1.9 3.6-3.8'],
    broken: ['M8 1.6 1 14h14L8 1.6Z', 'M8 6v3.6', 'M8 11.6v.1'],
    error: ['M14 8A6 6 0 1 1 2 8a6 6 0 0 1 12 0Z', 'M8 4.6v4', 'M8 11v.1'],
  };
  const checkpointFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  function integrityIcon(kind) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('width', '16');
    svg.setAttribute('height', '16');
    svg.setAttribute('focusable', 'false');
    for (const d of INTEGRITY_ICONS[kind] || INTEGRITY_ICONS.error) {
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', d);
      svg.append(path);
    }
    return svg;
  }

  /** Shows `view` ({ kind, parts, title, problems }) in the badge of the log view. */
  function renderIntegrity(view) {
    const badge = $('integrity-badge');
    if (!badge) return;
    badge.className = `integrity-badge is-${view.kind}`;
    badge.title = view.title || '';
    $('integrity-icon').replaceChildren(integrityIcon(view.kind));
    $('integrity-text').replaceChildren(...view.parts);
    const list = $('integrity-problem-list');
    const problems = view.problems || [];
    list.replaceChildren(
      ...problems.map((p) =>
        h(
          'li',
          {},
          h('span', { className: 'problem-seq', text: `seq ${p.seq}` }),
          ': ',
          h('span', { className: 'pre', text: p.reason }),
        ),
      ),
    );
    const more = $('integrity-problems');
    more.hidden = problems.length < 2;
    if (more.hidden) more.open = false;
  }

  /** aria-disabled rather than disabled: a button that had focus keeps it while a check runs. */
  function setRecheckBusy(busy) {
    const recheck = $('integrity-recheck');
    if (recheck) recheck.setAttribute('aria-disabled', busy ? 'true' : 'false');
  }

  /** Clears the badge of a previous org; the check itself starts once the log has loaded. */
  function resetIntegrity() {
    if (state.integrityController) state.integrityController.abort();
    state.integrityController = null;
    state.integrityOrg = null;
    renderIntegrity({ kind: 'loading', parts: ['Checking integrity…'] });
    setRecheckBusy(false);
  }

  async function checkIntegrity() {
    if (!$('integrity-badge')) return;
    if (state.integrityController) state.integrityController.abort();
    const controller = new AbortController();
    state.integrityController = controller;
    const org = state.org;
    state.integrityOrg = org;
    renderIntegrity({ kind: 'loading', parts: ['Checking integrity…'] });
    setRecheckBusy(true);
    try {
      const json = await api(`orgs/${encodeURIComponent(org)}/integrity`, { signal: controller.signal });
      if (controller !== state.integrityController || org !== state.org) return;
      renderIntegrity(integrityView(json));
    } catch (err) {
      if (isAbort(err) || controller !== state.integrityController) return;
      if (err instanceof ApiError && err.status === 401) return sessionExpired();
      renderIntegrity({ kind: 'error', parts: [`Integrity not checked: ${describeError(err)}`] });
    } finally {
      if (controller === state.integrityController) {
        state.integrityController = null;
        setRecheckBusy(false);
      }
    }
  }

  function seqOf(v) {
    return Number.isSafeInteger(v) && v >= 0 ? v : null;
  }

  function plural(n, one, many) {
    return `${formatCount(n)} ${n === 1 ? one : many}`;
  }

  /** The badge for an answer of GET orgs/{org}/integrity. */
  function integrityView(json) {
    const a = json && json.data && json.data.attributes;
    const head = a && typeof a === 'object' ? seqOf(a.headSeq) : null;
    if (head === null || !['verified', 'unsigned', 'broken'].includes(a.status)) {
      const text = 'Integrity not checked: the server sent an answer this page does not understand.';
      return { kind: 'error', parts: [text] };
    }
    const title = integrityDetails(a, head);
    if (a.status === 'broken' || a.ok === false) {
      const problems = (Array.isArray(a.problems) ? a.problems : [])
        .filter((p) => p && typeof p === 'object')
        .map((p) => ({
          seq: seqOf(p.seq) === null ? '?' : p.seq,
          reason: str(p.reason) || 'no reason given',
        }));
      if (!problems.length) {
        return { kind: 'broken', parts: ['Integrity problem: verification failed'], title };
      }
      const [first] = problems;
      const others = problems.length - 1;
      const parts = [
        h('strong', { text: `Integrity problem at seq ${first.seq}:` }),
        ' ',
        h('span', { className: 'pre', text: first.reason }),
      ];
      if (others > 0) parts.push(` · ${plural(others, 'more problem', 'more problems')}`);
      return { kind: 'broken', parts, title, problems };
    }

    const through = a.verifiedThrough && typeof a.verifiedThrough === 'object' ? a.verifiedThrough : null;
    const signedAt = through ? parseTime(through.signedAt) : null;
    const throughSeq = through ? seqOf(through.seq) : null;
    const signed = !!through && through.signed === true && a.signaturesChecked === true;
    if (a.status === 'verified' && signed && signedAt && throughSeq !== null) {
      const iso = signedAt.toISOString();
      const parts = [
        `Verified through seq ${throughSeq}, signed at `,
        h('time', { datetime: iso, title: iso, text: checkpointFmt.format(signedAt) }),
      ];
      const newer = seqOf(a.unsignedEvents);
      if (newer) parts.push(` · ${plural(newer, 'newer event', 'newer events')} not yet signed`);
      return { kind: 'verified', parts, title };
    }
    if (head === 0) return { kind: 'unsigned', parts: ['No events yet · nothing to verify'], title };
    // A checkpoint taken without a key, or signatures the server could not check, vouch for nothing.
    const unchecked = through && through.signed === true && a.signaturesChecked !== true;
    const why = unchecked ? 'signatures not checked' : 'not yet signed';
    return { kind: 'unsigned', parts: [`Chain intact through seq ${head} · ${why}`], title };
  }

  /** The tooltip: what was checked, from where, and with which key. */
  function integrityDetails(a, head) {
    const lines = [];
    const start = seqOf(a.startSeq);
    const checked = seqOf(a.checkedEvents);
    if (checked !== null) {
      const range = start !== null && head ? ` (seq ${start} to ${head})` : '';
      lines.push(`Checked ${plural(checked, 'event', 'events')}${range}.`);
    }
    const purge = a.lastPurgeCheckpoint;
    if (start !== null && start > 1) {
      lines.push(
        purge && typeof purge === 'object'
          ? `Seq 1 to ${start - 1} removed by retention (purge checkpoint).`
          : `The log starts at seq ${start}.`,
      );
    }
    const cps = a.checkpoints && typeof a.checkpoints === 'object' ? a.checkpoints : null;
    if (cps) {
      const stored = formatCount(Number(cps.stored) || 0);
      const witnessed = formatCount(Number(cps.witnessed) || 0);
      lines.push(`Checkpoints: ${stored} stored, ${witnessed} from witnesses.`);
    }
    const through = a.verifiedThrough;
    if (a.signaturesChecked !== true) lines.push('Signatures not checked: no signing key is configured.');
    else if (through && through.keyId) lines.push(`Signed with key ${str(through.keyId)}.`);
    lines.push(`Checked at ${timeFmt.format(new Date())}.`);
    return lines.join('\n');
  }

  // ----------------------------------------------------------------- export

  function filterSummary(f) {
    const items = [];
    if (f.q) items.push(['Search', f.q]);
    if (f.from) items.push(['From', `${f.from} (00:00 UTC)`]);
    if (f.to) items.push(['To', `${f.to} (23:59 UTC)`]);
    items.push(['Activity', f.action ? actionLabel(f.action) : 'All activities']);
    return items;
  }

  let exportFilters = emptyFilters();
  let lastFocus = null;

  function openExport() {
    // Export what the filter bar says; if it was edited without Apply, apply it
    // first so the table and the export agree.
    const f = readForm();
    if (!sameFilters(f, state.applied)) {
      if (!applyFromForm()) return;
    }
    exportFilters = { ...state.applied };
    stopExportPolling();

    const list = $('export-filter-list');
    list.replaceChildren(
      ...filterSummary(exportFilters).map(([k, v]) => h('li', {}, h('span', { className: 'muted', text: `${k}: ` }), h('span', { className: 'pre', text: v }))),
    );
    $('export-result').hidden = true;
    $('export-queued').textContent = '';
    $('export-status').textContent = '';
    $('export-status').className = 'export-status';
    $('export-error').textContent = '';
    const submit = $('export-submit');
    submit.hidden = false;
    submit.disabled = false;
    submit.textContent = 'Export';
    $('export-cancel').textContent = 'Cancel';

    lastFocus = document.activeElement;
    const dialog = $('export-dialog');
    // Hide the page behind the modal from assistive technology (and from role queries).
    document.querySelector('header.topbar').setAttribute('aria-hidden', 'true');
    $('main').setAttribute('aria-hidden', 'true');
    dialog.showModal();
    submit.focus();
  }

  function onExportClosed() {
    stopExportPolling();
    document.querySelector('header.topbar').removeAttribute('aria-hidden');
    $('main').removeAttribute('aria-hidden');
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    lastFocus = null;
  }

  function stopExportPolling() {
    state.exportRun++;
    if (state.exportTimer) clearTimeout(state.exportTimer);
    state.exportTimer = null;
  }

  async function submitExport() {
    const submit = $('export-submit');
    const errorBox = $('export-error');
    errorBox.textContent = '';
    submit.disabled = true;
    stopExportPolling();
    const run = state.exportRun;
    const org = state.org;
    try {
      const res = await api(`orgs/${encodeURIComponent(org)}/exports`, {
        method: 'POST',
        body: exportBody(exportFilters),
      });
      if (run !== state.exportRun) return;
      const data = res.data || {};
      const attrs = data.attributes || {};
      const email = state.session && state.session.email;
      $('export-queued').textContent = `Export queued. We'll e-mail a link to ${email || 'your e-mail address'} when it's ready.`;
      $('export-result').hidden = false;
      submit.hidden = true;
      $('export-cancel').textContent = 'Close';
      showExportStatus(attrs);
      if (data.id && !TERMINAL_EXPORT_STATES.has(attrs.status)) scheduleExportPoll(org, String(data.id), run);
    } catch (err) {
      if (run !== state.exportRun) return;
      if (err instanceof ApiError && err.status === 401) return sessionExpired();
      errorBox.textContent = describeError(err);
      submit.disabled = false;
    }
  }

  function scheduleExportPoll(org, id, run) {
    state.exportTimer = setTimeout(() => pollExport(org, id, run), POLL_MS);
  }

  async function pollExport(org, id, run) {
    if (run !== state.exportRun) return;
    try {
      const res = await api(`orgs/${encodeURIComponent(org)}/exports/${encodeURIComponent(id)}`);
      if (run !== state.exportRun) return;
      const attrs = (res.data && res.data.attributes) || {};
      showExportStatus(attrs);
      if (TERMINAL_EXPORT_STATES.has(attrs.status)) {
        if (attrs.status !== 'ready') {
          const submit = $('export-submit');
          submit.hidden = false;
          submit.disabled = false;
          submit.textContent = 'Export again';
        }
        return;
      }
      scheduleExportPoll(org, id, run);
    } catch (err) {
      if (run !== state.exportRun) return;
      if (err instanceof ApiError && err.status === 401) return sessionExpired();
      $('export-error').textContent = describeError(err);
    }
  }

  const STATUS_TEXT = {
    queued: 'Queued',
    running: 'Running',
    ready: 'Ready',
    failed: 'Failed',
    expired: 'Expired',
  };

  function showExportStatus(attrs) {
    const status = str(attrs.status) || 'queued';
    let text = `Status: ${STATUS_TEXT[status] || status}`;
    if (status === 'queued') text += ' — waiting for the export worker.';
    else if (status === 'running') text += ' — collecting activities.';
    else if (status === 'ready') {
      const n = typeof attrs.rowCount === 'number' ? attrs.rowCount : null;
      text += n !== null ? ` — ${formatCount(n)} ${n === 1 ? 'activity' : 'activities'} exported.` : '.';
      if (attrs.truncated) text += ' More activities matched; only the 10,000 newest were included.';
      text += ' Check your e-mail for the download link';
      const exp = parseTime(attrs.expiresAt);
      text += exp ? `, valid until ${fullFmt.format(exp)}.` : '.';
    } else if (status === 'failed') text += ' — the export could not be created. Try exporting again.';
    else if (status === 'expired') text += ' — the download link has expired. Export again for a new link.';
    const node = $('export-status');
    node.textContent = text;
    node.className = `export-status status-${status}`;
  }

  // ------------------------------------------------------------- bindings

  function bindStaticHandlers() {
    // A login link opened in a tab that already shows the UI only changes the fragment.
    window.addEventListener('hashchange', () => {
      const token = takeHashToken();
      if (token) signIn(token, null);
    });
    $('sign-out').addEventListener('click', signOut);
    $('org-select').addEventListener('change', (ev) => {
      const org = ev.target.value;
      if (!state.session || !state.session.orgs.includes(org) || org === state.org) return;
      state.org = org;
      try {
        localStorage.setItem(ORG_STORAGE_KEY, org);
      } catch {
        // storage may be unavailable; the URL still carries the org
      }
      $('org-single').textContent = org;
      const name = $('org-name');
      if (name) name.textContent = org;
      // Actions differ per org: reset the activity filter.
      state.applied = { ...readForm(), action: '' };
      const select = $('f-action');
      if (select) select.value = '';
      syncUrl();
      // The badge spoke of the previous org: clear it now, check again once the log is in.
      resetIntegrity();
      loadActions('');
      loadEvents(false);
    });
    const dialog = $('export-dialog');
    dialog.addEventListener('close', onExportClosed);
    $('export-cancel').addEventListener('click', () => dialog.close());
    $('export-submit').addEventListener('click', submitExport);
    $('export-form').addEventListener('submit', (ev) => ev.preventDefault());
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
