// The staff console: session, header, live events and a small hash router. Views live in
// ./views/*.js; each renders into <main> and returns a cleanup function.

import { ApiError, api, setCsrfToken, setUnauthenticatedHandler } from './api.js';
import { clear, h } from './dom.js';
import { applyLangToDocument, getLang, label, onLangChange, setLang, t } from './i18n.js';
import * as adminView from './views/admin.js';
import * as conversationView from './views/conversation.js';
import * as inboxView from './views/inbox.js';
import * as loginView from './views/login.js';
import * as reportsView from './views/reports.js';
import * as requestsView from './views/requests.js';

const ROLE_RANK = { agent: 1, supervisor: 2, admin: 3 };
const BADGE_DEBOUNCE_MS = 400;
const RECONNECT_CHECK_MS = 5000;

const els = {
  topbar: document.getElementById('topbar'),
  main: document.getElementById('main'),
  announcer: document.getElementById('announcer'),
  skip: document.getElementById('skip-link'),
};

const session = {
  staff: null,
  waitingCount: null,
  live: false,
};

/** Inbox changes from the server (`inbox` server-sent events), for the views to listen to. */
const events = new EventTarget();
let source = null;
let badgeTimer = null;
let reconnectTimer = null;
let cleanupView = null;
let currentRoute = null;

// ---------- routing ----------

const ROUTES = [
  { pattern: /^#?\/?$/, view: 'inbox', nav: 'inbox' },
  { pattern: /^#\/inbox(?:\/(waiting|mine|open))?$/, view: 'inbox', nav: 'inbox', keys: ['tab'] },
  { pattern: /^#\/conversations\/([^/]+)$/, view: 'conversation', nav: 'inbox', keys: ['id'] },
  { pattern: /^#\/requests$/, view: 'requests', nav: 'requests' },
  { pattern: /^#\/requests\/([^/]+)$/, view: 'requests', nav: 'requests', keys: ['id'] },
  { pattern: /^#\/reports$/, view: 'reports', nav: 'reports' },
  { pattern: /^#\/admin$/, view: 'admin', nav: 'admin', minRole: 'supervisor' },
];

const VIEWS = {
  inbox: inboxView,
  conversation: conversationView,
  requests: requestsView,
  reports: reportsView,
  admin: adminView,
};

function parseRoute(hash) {
  for (const route of ROUTES) {
    const match = route.pattern.exec(hash);
    if (!match) continue;
    const params = {};
    (route.keys ?? []).forEach((key, i) => {
      if (match[i + 1] !== undefined) params[key] = decodeURIComponent(match[i + 1]);
    });
    return { ...route, params };
  }
  return { ...ROUTES[0], params: {} };
}

function hasRole(role) {
  return (ROLE_RANK[session.staff?.role] ?? 0) >= (ROLE_RANK[role] ?? 99);
}

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

// ---------- announcements and errors ----------

function announce(text) {
  // Cleared first so the same sentence twice is still announced.
  els.announcer.textContent = '';
  setTimeout(() => {
    els.announcer.textContent = text;
  }, 50);
}

/** A sentence for an API failure, in the console's language (server messages are for logs). */
function errorText(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return t('app.network');
    if (error.status === 401) return t('app.sessionEnded');
    if (error.status === 403) return t('app.forbidden');
    if (error.status === 404) return t('app.notFound');
  }
  return t('app.error');
}

const ctx = {
  get me() {
    return session.staff;
  },
  get waitingCount() {
    return session.waitingCount;
  },
  events,
  hasRole,
  navigate,
  announce,
  errorText,
  refreshBadge: () => scheduleBadge(0),
  setWaitingCount,
  /** Moves keyboard focus to the view's heading after a route change (screen readers hear where they are). */
  focusHeading() {
    const heading = els.main.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
  },
};

// ---------- header ----------

function renderHeader() {
  clear(els.topbar);
  const brand = h(
    'div',
    { class: 'brand' },
    h('span', { class: 'brand-title' }, t('app.title')),
    h('span', { class: 'brand-org' }, t('app.org')),
  );
  const langButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn--ghost lang-toggle',
      id: 'lang-toggle',
      lang: getLang() === 'ar' ? 'en' : 'ar',
      'aria-label': t('lang.switchLabel'),
      'data-testid': 'lang-toggle',
      onclick: () => {
        setLang(getLang() === 'ar' ? 'en' : 'ar');
        document.getElementById('lang-toggle')?.focus();
      },
    },
    t('lang.switch'),
  );
  if (!session.staff) {
    els.topbar.append(
      h('div', { class: 'topbar-row' }, brand, h('div', { class: 'topbar-tools' }, langButton)),
    );
    return;
  }
  const active = currentRoute?.nav;
  const link = (key, hash, extra) =>
    h(
      'li',
      null,
      h(
        'a',
        {
          href: hash,
          class: 'nav-link',
          'aria-current': active === key ? 'page' : undefined,
          'data-testid': `nav-${key}`,
        },
        t(`nav.${key}`),
        extra,
      ),
    );
  const badge = h('span', {
    class: 'badge',
    id: 'waiting-badge',
    'data-testid': 'waiting-badge',
    hidden: !session.waitingCount,
  });
  updateBadgeElement(badge);
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': t('nav.label') },
    h(
      'ul',
      { class: 'nav-list' },
      link('inbox', '#/inbox', badge),
      link('requests', '#/requests'),
      link('reports', '#/reports'),
      hasRole('supervisor') ? link('admin', '#/admin') : null,
    ),
  );
  const liveDot = h(
    'span',
    { class: `live ${session.live ? 'live--on' : 'live--off'}`, id: 'live-indicator', 'data-testid': 'live' },
    session.live ? t('app.live') : t('app.offline'),
  );
  const user = h(
    'span',
    { class: 'user' },
    h('bdi', { class: 'user-name' }, session.staff.name || session.staff.email),
    ' · ',
    label('role', session.staff.role),
  );
  const logout = h(
    'button',
    { type: 'button', class: 'btn btn--ghost', 'data-testid': 'logout', onclick: logoutNow },
    t('nav.logout'),
  );
  els.topbar.append(
    h(
      'div',
      { class: 'topbar-row' },
      brand,
      h('div', { class: 'topbar-tools' }, liveDot, user, langButton, logout),
    ),
    nav,
  );
}

function updateBadgeElement(badge = document.getElementById('waiting-badge')) {
  if (!badge) return;
  const count = session.waitingCount ?? 0;
  badge.hidden = count === 0;
  badge.textContent = String(count);
  badge.setAttribute('aria-label', t('nav.waitingBadge', { count }));
  badge.title = t('nav.waitingBadge', { count });
}

function setWaitingCount(count) {
  session.waitingCount = count;
  updateBadgeElement();
}

function scheduleBadge(delay = BADGE_DEBOUNCE_MS) {
  clearTimeout(badgeTimer);
  badgeTimer = setTimeout(async () => {
    if (!session.staff) return;
    try {
      const { conversations } = await api.conversations('waiting');
      setWaitingCount(Array.isArray(conversations) ? conversations.length : 0);
    } catch {
      // The badge is a hint; the inbox itself shows errors.
    }
  }, delay);
}

function setLive(live) {
  session.live = live;
  const el = document.getElementById('live-indicator');
  if (!el) return;
  el.className = `live ${live ? 'live--on' : 'live--off'}`;
  el.textContent = live ? t('app.live') : t('app.offline');
}

// ---------- live events ----------

function connectEvents() {
  disconnectEvents();
  source = new EventSource('/api/staff/events');
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('inbox', (event) => {
    let data = {};
    try {
      data = JSON.parse(event.data);
    } catch {
      // A malformed event still means "something changed".
    }
    events.dispatchEvent(new CustomEvent('inbox', { detail: data }));
    scheduleBadge();
  });
  source.addEventListener('error', () => {
    setLive(false);
    // The browser reconnects by itself unless the server refused us (401 closes the stream).
    if (source?.readyState === EventSource.CLOSED) {
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(async () => {
        try {
          await api.me();
          if (session.staff) connectEvents();
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) sessionEnded();
          else reconnectTimer = setTimeout(() => connectEvents(), RECONNECT_CHECK_MS);
        }
      }, RECONNECT_CHECK_MS);
    }
  });
}

function disconnectEvents() {
  clearTimeout(reconnectTimer);
  source?.close();
  source = null;
  setLive(false);
}

// ---------- session ----------

function startSession(staff, csrfToken) {
  session.staff = staff;
  setCsrfToken(csrfToken);
  connectEvents();
  scheduleBadge(0);
}

function endSession() {
  session.staff = null;
  session.waitingCount = null;
  setCsrfToken(null);
  disconnectEvents();
}

function sessionEnded() {
  if (!session.staff) return;
  endSession();
  render({ message: t('app.sessionEnded') });
}

async function logoutNow() {
  try {
    await api.logout();
  } catch {
    // Signed out locally anyway; the cookie expires on the server.
  }
  endSession();
  location.hash = '#/inbox';
  render();
}

// ---------- rendering ----------

function render(options = {}) {
  cleanupView?.();
  cleanupView = null;
  currentRoute = parseRoute(location.hash);
  renderHeader();
  clear(els.main);
  if (!session.staff) {
    cleanupView = loginView.render(els.main, ctx, {
      message: options.message,
      onLogin: (staff, csrfToken) => {
        startSession(staff, csrfToken);
        render();
        ctx.focusHeading();
      },
    });
    return;
  }
  if (currentRoute.minRole && !hasRole(currentRoute.minRole)) {
    els.main.append(h('h1', null, t('app.forbidden')));
    return;
  }
  cleanupView = VIEWS[currentRoute.view].render(els.main, ctx, currentRoute.params) ?? null;
}

async function start() {
  applyLangToDocument();
  els.skip.addEventListener('click', (event) => {
    // The hash is the router's: move focus without changing it.
    event.preventDefault();
    els.main.focus();
  });
  setUnauthenticatedHandler(sessionEnded);
  onLangChange(() => {
    els.skip.textContent = t('app.skip');
    render();
  });
  els.skip.textContent = t('app.skip');
  window.addEventListener('hashchange', () => {
    render();
    ctx.focusHeading();
  });
  try {
    const { staff, csrfToken } = await api.me();
    if (staff) startSession(staff, csrfToken);
  } catch {
    // Not signed in (401) or the server is unreachable: the login form says so when used.
  }
  render();
}

start();
