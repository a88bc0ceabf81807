/* Turns an answer of GET orgs/{org}/integrity into the badge: its kind, text and tooltip. */

import { h } from './dom.js';
import { checkpointFmt, formatCount, parseTime, plural, str, timeFmt } from './format.js';

function seqOf(v) {
  return Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/** The badge for an answer of GET orgs/{org}/integrity. */
export function integrityView(json) {
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

  const through =
    a.verifiedThrough && typeof a.verifiedThrough === 'object' ? a.verifiedThrough : null;
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
  if (a.signaturesChecked !== true)
    lines.push('Signatures not checked: no signing key is configured.');
  else if (through && through.keyId) lines.push(`Signed with key ${str(through.keyId)}.`);
  lines.push(`Checked at ${timeFmt.format(new Date())}.`);
  return lines.join('\n');
}
