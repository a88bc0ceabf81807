/* What the page knows: the session, the org on show, the applied filters, what is in flight. */

export function emptyFilters() {
  return { q: '', from: '', to: '', action: '' };
}

export const state = {
  session: null, // { sub, name, email, orgs: [] }
  signInMethods: null, // { tokenSignIn, oidc: { providerName, loginPath } | null }
  org: null,
  actions: new Map(), // action id -> { displayName, category, groupDisplayName }
  categories: new Map(), // category -> groupDisplayName
  applied: emptyFilters(),
  next: null,
  count: 0,
  loadController: null,
  chartController: null, // the activity chart's request
  actionsController: null,
  exportTimer: null,
  exportRun: 0,
  integrityController: null,
  integrityOrg: null, // the org the badge was last checked (or is being checked) for
  destinationsTimer: null, // the destinations view's next refresh
};

export function abortLoads() {
  if (state.destinationsTimer) clearTimeout(state.destinationsTimer);
  state.destinationsTimer = null;
  if (state.loadController) state.loadController.abort();
  state.loadController = null;
  if (state.chartController) state.chartController.abort();
  state.chartController = null;
  if (state.actionsController) state.actionsController.abort();
  state.actionsController = null;
  if (state.integrityController) state.integrityController.abort();
  state.integrityController = null;
  state.integrityOrg = null;
}
