/* The org's catalogue of event actions: the Activity filter and the display names in the table. */

import { queryAll, viewerActions } from './context.js';
import { api, ApiError, describeError, isAbort } from './api.js';
import { $, h } from './dom.js';
import { showLogError } from './filters.js';
import { str } from './format.js';
import { sessionExpired } from './session.js';
import { state } from './state.js';

export async function loadActions(selected) {
  if (state.actionsController) state.actionsController.abort();
  const controller = new AbortController();
  state.actionsController = controller;
  const org = state.org;
  state.actions = new Map();
  state.categories = new Map();
  try {
    const json = await api(`orgs/${encodeURIComponent(org)}/event-actions`, {
      signal: controller.signal,
    });
    if (controller.signal.aborted || org !== state.org) return;
    const groups = new Map();
    const only = viewerActions();
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
      // A viewer token narrowed to some actions offers only those: any other is refused.
      if (only && !only.includes(id)) continue;
      if (!groups.has(entry.groupDisplayName)) groups.set(entry.groupDisplayName, []);
      groups.get(entry.groupDisplayName).push({ id, ...entry });
    }
    const select = $('f-action');
    if (!select) return;
    const current = select.value || selected || '';
    const nodes = [h('option', { value: '', text: 'All activities' })];
    for (const [label, items] of groups) {
      items.sort((x, y) => x.displayName.localeCompare(y.displayName));
      nodes.push(
        h(
          'optgroup',
          { label },
          items.map((it) => h('option', { value: it.id, text: it.displayName })),
        ),
      );
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

export function actionLabel(key) {
  const a = state.actions.get(key);
  return a ? a.displayName : key;
}

function refreshActionTags() {
  for (const tag of queryAll('#events-body [data-action-key]')) {
    tag.textContent = actionLabel(tag.getAttribute('data-action-key'));
  }
}
