// Small pieces several views share: chips for statuses and channels, request references.

import { h } from '../dom.js';
import { label, t } from '../i18n.js';

export function chip(text, kind = '', testId) {
  return h('span', { class: `chip ${kind}`, 'data-testid': testId }, text);
}

export function channelChip(channel) {
  return chip(label('channel', channel), `chip--channel chip--${channel}`, 'channel');
}

export function modeChip(mode) {
  return chip(label('mode', mode), `chip--mode chip--mode-${mode}`, 'mode');
}

export function statusChip(status) {
  return chip(label('status', status), `chip--status chip--status-${status}`, 'request-status');
}

/** A request reference (always LTR digits) with its status. Links to the request when its id is known. */
export function requestRef(request) {
  const reference = h('bdi', { class: 'reference', dir: 'ltr' }, request.reference ?? t('app.dash'));
  const content = [reference, ' ', statusChip(request.status)];
  if (request.id) {
    return h(
      'a',
      {
        href: `#/requests/${encodeURIComponent(request.id)}`,
        class: 'request-ref',
        'data-testid': 'request-ref',
        'aria-label': t('req.open', { reference: request.reference }),
      },
      content,
    );
  }
  return h('span', { class: 'request-ref', 'data-testid': 'request-ref' }, content);
}

/** The staff member's display name from `{ id, name }`, a bare id, or nothing. */
export function staffName(staff) {
  if (!staff) return null;
  if (typeof staff === 'string') return staff;
  return staff.name || staff.email || staff.id || null;
}

export function pageHeading(text, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', null, text), extra);
}

export function errorBox(ctx, error) {
  return h(
    'div',
    { class: 'notice notice--error', role: 'alert', 'data-testid': 'notice-error' },
    ctx.errorText(error),
  );
}

export function loading() {
  return h('p', { class: 'loading', role: 'status' }, t('app.loading'));
}

/**
 * A masked number (`1*******34`, `+9665******67`) or an international one (`+9665…`), as the
 * API writes them inside beneficiaries' texts. Its asterisks and plus sign are neutral for the
 * bidi algorithm: left to itself in an Arabic sentence it reads `34*******1`.
 */
const LTR_NUMBER = /\+?[0-9]+(?:\*+[0-9]+)+|\+[0-9]+/g;

/** A beneficiary's text as nodes, each such number isolated left-to-right (<bdi dir="ltr">). */
export function withNumbers(text) {
  const value = String(text ?? '');
  const parts = [];
  let last = 0;
  for (const match of value.matchAll(LTR_NUMBER)) {
    if (match.index > last) parts.push(value.slice(last, match.index));
    parts.push(h('bdi', { dir: 'ltr', class: 'number' }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < value.length) parts.push(value.slice(last));
  return parts;
}
