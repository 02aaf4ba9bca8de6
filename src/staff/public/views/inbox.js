// Inbox: conversations waiting for staff, assigned to me, all open. Live: every `inbox` event
// re-fetches the list (debounced), so a new escalation appears without a reload. A conversation
// still waiting past HANDOFF_SLA (`slaBreachedAt`) is flagged, announced and listed first.

import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { formatAgo, formatElapsed, t } from '../i18n.js';
import {
  channelChip,
  errorBox,
  modeChip,
  pageHeading,
  requestRef,
  staffName,
  withNumbers,
} from './common.js';

const TABS = ['waiting', 'mine', 'open'];
const REFRESH_DEBOUNCE_MS = 250;
const CLOCK_MS = 30000;

/** Waiting ids seen in this page's life, to announce only really new escalations. */
const knownWaiting = new Set();
let waitingInitialised = false;
/** Likewise for conversations that have waited too long. */
const knownOverdue = new Set();
let overdueInitialised = false;

/** Still waiting for staff, past the service level. */
const isOverdue = (c) => c.mode === 'waiting' && Boolean(c.slaBreachedAt);
let lastTab = 'waiting';

export function render(container, ctx, params) {
  let tab = TABS.includes(params.tab) ? params.tab : lastTab;
  let conversations = [];
  let refreshTimer = null;
  let disposed = false;
  let loadSeq = 0;

  const count = h('p', { class: 'muted', 'data-testid': 'inbox-count', 'aria-live': 'polite' });
  const list = h('ul', { class: 'conv-list', 'data-testid': 'inbox-list' });
  const errorArea = h('div', { class: 'notice-area' });
  const tabButtons = TABS.map((key) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${key}`,
        class: 'tab',
        'aria-controls': 'inbox-panel',
        'data-testid': `tab-${key}`,
        onclick: () => selectTab(key, false),
        onkeydown: onTabKey,
      },
      t(`inbox.${key}`),
      key === 'waiting'
        ? h('span', { class: 'badge badge--tab', 'data-testid': 'tab-waiting-count', hidden: true })
        : null,
    ),
  );
  const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('inbox.tabs') }, tabButtons);
  const panel = h(
    'section',
    { class: 'tab-panel', role: 'tabpanel', id: 'inbox-panel' },
    count,
    errorArea,
    list,
  );

  container.append(
    pageHeading(
      t('inbox.title'),
      h('button', { type: 'button', class: 'btn btn--ghost', onclick: () => load() }, t('app.refresh')),
    ),
    tabList,
    panel,
  );

  function onTabKey(event) {
    const index = TABS.indexOf(tab);
    const rtl = document.documentElement.dir === 'rtl';
    let next = null;
    if (event.key === 'ArrowRight') next = index + (rtl ? -1 : 1);
    else if (event.key === 'ArrowLeft') next = index + (rtl ? 1 : -1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = TABS.length - 1;
    if (next === null) return;
    event.preventDefault();
    selectTab(TABS[(next + TABS.length) % TABS.length], true);
  }

  function selectTab(key, focus) {
    tab = key;
    lastTab = key;
    // Keep the URL shareable without a hashchange (which would re-render and move focus).
    history.replaceState(null, '', `#/inbox/${key}`);
    updateTabs();
    if (focus) document.getElementById(`tab-${key}`)?.focus();
    conversations = [];
    clear(list);
    load();
  }

  function updateTabs() {
    for (const button of tabButtons) {
      const selected = button.id === `tab-${tab}`;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${tab}`);
  }

  function updateWaitingBadge(value, overdue = 0) {
    const badge = tabList.querySelector('[data-testid="tab-waiting-count"]');
    if (!badge) return;
    badge.hidden = !value;
    badge.textContent = String(value ?? 0);
    badge.classList.toggle('badge--alert', overdue > 0);
    if (overdue > 0) badge.title = t('inbox.overdueCount', { count: overdue });
    else badge.removeAttribute('title');
  }

  async function load() {
    const seq = ++loadSeq;
    try {
      const requests = [api.conversations(tab)];
      if (tab !== 'waiting') requests.push(api.conversations('waiting'));
      const [current, waiting] = await Promise.all(requests);
      if (disposed || seq !== loadSeq) return;
      const listed = Array.isArray(current.conversations) ? current.conversations : [];
      // Those waiting too long first, each group in the server's order.
      conversations = [...listed.filter(isOverdue), ...listed.filter((c) => !isOverdue(c))];
      const waitingList = tab === 'waiting' ? conversations : (waiting?.conversations ?? []);
      noteWaiting(waitingList);
      noteOverdue(waitingList);
      ctx.setWaitingCount(waitingList.length);
      updateWaitingBadge(waitingList.length, waitingList.filter(isOverdue).length);
      clear(errorArea);
      draw();
    } catch (error) {
      if (disposed || seq !== loadSeq) return;
      clear(errorArea).append(errorBox(ctx, error));
    }
  }

  function noteWaiting(waitingList) {
    const fresh = waitingList.filter((c) => !knownWaiting.has(c.id));
    for (const c of waitingList) knownWaiting.add(c.id);
    if (fresh.length > 0 && waitingInitialised) ctx.announce(t('inbox.newWaiting'));
    waitingInitialised = true;
  }

  function noteOverdue(waitingList) {
    const overdue = waitingList.filter(isOverdue);
    const fresh = overdue.filter((c) => !knownOverdue.has(c.id));
    for (const c of overdue) knownOverdue.add(c.id);
    if (fresh.length > 0 && overdueInitialised) ctx.announce(t('inbox.newOverdue'));
    overdueInitialised = true;
  }

  function draw() {
    const overdue = conversations.filter(isOverdue).length;
    count.textContent =
      overdue > 0
        ? `${t('inbox.count', { count: conversations.length })} — ${t('inbox.overdueCount', { count: overdue })}`
        : t('inbox.count', { count: conversations.length });
    // A keyboard user on a row stays on it when the list is redrawn under them.
    const focusedId = document.activeElement?.closest?.('[data-conversation-id]')?.dataset.conversationId;
    clear(list);
    if (conversations.length === 0) {
      list.append(h('li', { class: 'empty', 'data-testid': 'inbox-empty' }, t('inbox.empty')));
      return;
    }
    for (const conversation of conversations) list.append(row(conversation));
    if (focusedId) {
      for (const link of list.querySelectorAll('[data-conversation-id]'))
        if (link.dataset.conversationId === focusedId) link.focus({ preventScroll: true });
    }
  }

  function whenText(c) {
    if (c.waitingSince) return t('inbox.waitingFor', { time: formatElapsed(c.waitingSince) });
    if (c.lastMessage?.at) return t('inbox.lastAt', { time: formatAgo(c.lastMessage.at) });
    return '';
  }

  function tick() {
    const byId = new Map(conversations.map((c) => [c.id, c]));
    for (const link of list.querySelectorAll('[data-conversation-id]')) {
      const c = byId.get(link.dataset.conversationId);
      const when = link.querySelector('.conv-when');
      if (c && when) when.textContent = whenText(c);
    }
  }

  function row(c) {
    const last = c.lastMessage;
    const senderPrefix = last
      ? `${t(`conv.sender.${last.sender === 'staff' ? 'staff' : last.sender === 'bot' ? 'bot' : 'contact'}`)}: `
      : '';
    const assigned = staffName(c.assignedTo);
    const when = whenText(c);
    const requests = Array.isArray(c.requests) ? c.requests : [];
    const overdue = isOverdue(c);
    return h(
      'li',
      { class: 'conv-item' },
      h(
        'a',
        {
          href: `#/conversations/${encodeURIComponent(c.id)}`,
          class: `conv-row conv-row--${c.mode}${overdue ? ' conv-row--overdue' : ''}`,
          'data-testid': 'inbox-row',
          'data-conversation-id': c.id,
          'data-overdue': overdue ? 'true' : null,
        },
        h(
          'span',
          { class: 'conv-row-head' },
          h('bdi', { class: 'conv-name' }, c.contactName || t('inbox.unnamed')),
          channelChip(c.channel),
          modeChip(c.mode),
          overdue
            ? h(
                'span',
                {
                  class: 'chip chip--overdue',
                  'data-testid': 'inbox-overdue',
                  title: t('inbox.overdueSince', { time: formatAgo(c.slaBreachedAt) }),
                },
                t('inbox.overdue'),
              )
            : null,
        ),
        last
          ? h(
              'span',
              { class: 'conv-last', 'data-testid': 'inbox-last-message' },
              h('span', { class: 'conv-last-sender' }, senderPrefix),
              h('bdi', { dir: 'auto' }, withNumbers(last.text)),
            )
          : null,
        h(
          'span',
          { class: 'conv-row-meta' },
          when ? h('span', { class: 'conv-when', 'data-testid': 'inbox-when' }, when) : null,
          assigned ? h('span', { class: 'conv-assigned' }, t('inbox.assignedTo', { name: assigned })) : null,
        ),
        requests.length > 0
          ? h(
              'span',
              { class: 'conv-requests' },
              h('span', { class: 'visually-hidden' }, `${t('inbox.requests')}: `),
              // Plain spans: a link inside the row's link would be invalid.
              requests.map((r) => requestRef({ ...r, id: undefined })),
            )
          : null,
      ),
    );
  }

  function onEvent() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(load, REFRESH_DEBOUNCE_MS);
  }

  ctx.events.addEventListener('inbox', onEvent);
  // Waiting times move on by themselves.
  const clock = setInterval(tick, CLOCK_MS);
  updateTabs();
  updateWaitingBadge(ctx.waitingCount);
  load();

  return () => {
    disposed = true;
    clearTimeout(refreshTimer);
    clearInterval(clock);
    ctx.events.removeEventListener('inbox', onEvent);
  };
}
