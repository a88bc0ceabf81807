/* The integrity badge of the log view: checks the org's hash chain once the log is in. */

import { api, ApiError, describeError, isAbort } from './api.js';
import { $, h } from './dom.js';
import { integrityView } from './integrity-view.js';
import { sessionExpired } from './session.js';
import { state } from './state.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
// 16×16 outline icons, so that the state never rests on colour alone.
const INTEGRITY_ICONS = {
  loading: ['M8 1.5a6.5 6.5 0 1 1-6.5 6.5'],
  verified: [
    'M8 1 2.5 3v4.2c0 3.4 2.3 6.3 5.5 7.3 3.2-1 5.5-3.9 5.5-7.3V3L8 1Z',
    'm5.3 8 1.9 1.9 3.6-3.8',
  ],
  unsigned: ['M14 8A6 6 0 1 1 2 8a6 6 0 0 1 12 0Z', 'm5.3 8 1.9 1.9 3.6-3.8'],
  broken: ['M8 1.6 1 14h14L8 1.6Z', 'M8 6v3.6', 'M8 11.6v.1'],
  error: ['M14 8A6 6 0 1 1 2 8a6 6 0 0 1 12 0Z', 'M8 4.6v4', 'M8 11v.1'],
};

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
export function renderIntegrity(view) {
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
export function resetIntegrity() {
  if (state.integrityController) state.integrityController.abort();
  state.integrityController = null;
  state.integrityOrg = null;
  renderIntegrity({ kind: 'loading', parts: ['Checking integrity…'] });
  setRecheckBusy(false);
}

export async function checkIntegrity() {
  if (!$('integrity-badge')) return;
  if (state.integrityController) state.integrityController.abort();
  const controller = new AbortController();
  state.integrityController = controller;
  const org = state.org;
  state.integrityOrg = org;
  renderIntegrity({ kind: 'loading', parts: ['Checking integrity…'] });
  setRecheckBusy(true);
  try {
    const json = await api(`orgs/${encodeURIComponent(org)}/integrity`, {
      signal: controller.signal,
    });
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
