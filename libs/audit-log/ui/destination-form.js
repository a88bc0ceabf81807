/*
 * The add form of the destinations view: the fields of the chosen type, the
 * create request, and the field a refusal names marked and focused.
 */

import { api, ApiError, describeError } from './api.js';
import { $ } from './dom.js';
import { sessionExpired } from './session.js';

// The input of each body field, to mark the one a 400 names.
const FIELD_INPUTS = {
  type: 'dest-type',
  name: 'dest-name',
  url: 'dest-url',
  secret: 'dest-secret',
  token: 'dest-secret',
  index: 'dest-index',
  host: 'dest-host',
  port: 'dest-port',
  ca: 'dest-ca',
  path: 'dest-path',
};
// What the form posts to, and what follows a creation (set by bindDestinationForm).
const form = { path: () => '', onCreated: async () => {} };

/** Wires the form of a freshly mounted destinations view; `path()` is the org's collection. */
export function bindDestinationForm(path, onCreated) {
  form.path = path;
  form.onCreated = onCreated;
  $('dest-add-open').addEventListener('click', () => openForm(true));
  $('dest-cancel').addEventListener('click', () => openForm(false));
  $('dest-type').addEventListener('change', syncFormType);
  $('dest-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    create();
  });
  syncFormType();
}

function openForm(open) {
  const form = $('dest-form');
  form.hidden = !open;
  $('dest-add-open').hidden = open;
  $('dest-form-error').textContent = '';
  if (open) $('dest-type').focus();
  else {
    form.reset();
    syncFormType();
  }
}

// The fields each type shows (the others are hidden and not sent).
const TYPE_FIELDS = {
  webhook: ['url', 'secret'],
  splunk_hec: ['url', 'secret', 'index'],
  syslog: ['host', 'port', 'ca'],
  file: ['path'],
};

function syncFormType() {
  const type = $('dest-type').value;
  const hec = type === 'splunk_hec';
  for (const field of ['url', 'secret', 'index', 'host', 'port', 'ca', 'path'])
    $(`dest-${field}-field`).hidden = !TYPE_FIELDS[type].includes(field);
  $('dest-secret-label').textContent = hec ? 'HEC token' : 'Signing secret';
  $('dest-url').placeholder = hec
    ? 'https://splunk.example.com:8088'
    : 'https://siem.example.com/auditkit';
}

/** The create body of the form's type, from the fields that type shows. */
function formBody(type) {
  const body = { type, start: $('dest-start').value };
  const name = $('dest-name').value.trim();
  if (name) body.name = name;
  const value = (id) => $(id).value.trim();
  const fields = TYPE_FIELDS[type];
  if (fields.includes('url')) body.url = value('dest-url');
  if (fields.includes('secret'))
    body[type === 'splunk_hec' ? 'token' : 'secret'] = $('dest-secret').value;
  if (fields.includes('index') && value('dest-index')) body.index = value('dest-index');
  if (fields.includes('host')) body.host = value('dest-host');
  if (fields.includes('port') && value('dest-port')) {
    const port = Number(value('dest-port'));
    body.port = Number.isInteger(port) ? port : value('dest-port');
  }
  if (fields.includes('ca') && value('dest-ca')) body.ca = $('dest-ca').value;
  if (fields.includes('path')) body.path = value('dest-path');
  return body;
}

async function create() {
  const body = formBody($('dest-type').value);
  for (const field of Object.values(FIELD_INPUTS)) $(field).removeAttribute('aria-invalid');
  const button = $('dest-create');
  button.disabled = true;
  try {
    await api(form.path(), { method: 'POST', body });
    openForm(false);
    await form.onCreated();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    const pointer = err instanceof ApiError && err.errors[0] && err.errors[0].source;
    const field = pointer && pointer.pointer ? pointer.pointer.slice(1) : null;
    const input = FIELD_INPUTS[field];
    if (input) {
      $(input).setAttribute('aria-invalid', 'true');
      $(input).focus();
    }
    $('dest-form-error').textContent = describeError(err);
  } finally {
    button.disabled = false;
  }
}
