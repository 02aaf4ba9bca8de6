// Administration: staff accounts (admins), canned replies (supervisors), the audit log (admins),
// the WhatsApp login QR (admins).

import { ApiError, api } from '../api.js';
import { append, clear, confirmDialog, field, h, notice, option, s } from '../dom.js';
import { formatDateTime, label, ROLES, t } from '../i18n.js';
import { encodeQr } from '../qr.js';
import { errorBox, loading, pageHeading } from './common.js';

const WHATSAPP_REFRESH_MS = 15000;

export function render(container, ctx) {
  let disposed = false;
  const cleanups = [];
  const nav = h('nav', { class: 'subnav', 'aria-label': t('adm.title') }, h('ul', { class: 'subnav-list' }));
  container.append(pageHeading(t('adm.title')), nav);
  const addSection = (key, titleText, builder) => {
    const id = `adm-${key}`;
    const section = h('section', { class: 'card', id, 'aria-labelledby': `${id}-title`, 'data-testid': id });
    section.append(h('h2', { id: `${id}-title` }, titleText));
    nav.querySelector('ul').append(
      h(
        'li',
        null,
        h(
          'a',
          {
            href: `#${id}`,
            onclick: (event) => {
              // In-page jump without touching the router's hash.
              event.preventDefault();
              section.scrollIntoView({ block: 'start' });
              section.querySelector('h2').tabIndex = -1;
              section.querySelector('h2').focus({ preventScroll: true });
            },
          },
          titleText,
        ),
      ),
    );
    container.append(section);
    const cleanup = builder(section);
    if (cleanup) cleanups.push(cleanup);
  };

  if (ctx.hasRole('admin'))
    addSection('accounts', t('adm.accounts'), (el) => accountsSection(el, ctx, () => disposed));
  if (ctx.hasRole('supervisor'))
    addSection('canned', t('adm.canned'), (el) => cannedSection(el, ctx, () => disposed));
  if (ctx.hasRole('admin')) {
    addSection('whatsapp', t('adm.whatsapp'), (el) => whatsappSection(el, ctx, () => disposed));
    addSection('queues', t('adm.queues'), queuesSection);
    addSection('audit', t('adm.audit'), (el) => auditSection(el, ctx, () => disposed));
  }

  return () => {
    disposed = true;
    for (const cleanup of cleanups) cleanup();
  };
}

// ---------- job queues ----------

/** Bull Board is a page of its own (admins only, server-side); this is the way there. */
function queuesSection(section) {
  section.append(
    h('p', null, t('adm.queuesHelp')),
    h('a', { href: '/staff/queues/', class: 'btn', 'data-testid': 'queues-link' }, t('adm.queuesOpen')),
  );
}

// ---------- accounts ----------

function roleSelect(value, attrs = {}) {
  const select = h('select', attrs);
  append(
    select,
    ROLES.map((role) => option(role, label('role', role), role === value)),
  );
  return select;
}

function accountsSection(section, ctx, isDisposed) {
  const status = h('div', { class: 'notice-area', tabindex: '-1' });
  const list = h('div', null, loading());
  const email = h('input', {
    type: 'email',
    name: 'email',
    required: true,
    dir: 'ltr',
    autocomplete: 'off',
    'data-testid': 'account-email',
  });
  const name = h('input', {
    type: 'text',
    name: 'name',
    required: true,
    maxlength: '100',
    'data-testid': 'account-name',
  });
  const password = h('input', {
    type: 'password',
    name: 'password',
    required: true,
    minlength: '12',
    autocomplete: 'new-password',
    dir: 'ltr',
    'data-testid': 'account-password',
  });
  const role = roleSelect('agent', { name: 'role', 'data-testid': 'account-role' });
  const form = h(
    'form',
    { class: 'stack', 'aria-labelledby': 'adm-create-title' },
    h('h3', { id: 'adm-create-title' }, t('adm.createAccount')),
    h(
      'div',
      { class: 'filters-grid' },
      field(t('adm.name'), name),
      field(t('adm.email'), email),
      field(t('adm.password'), password),
      field(t('adm.role'), role),
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'submit', class: 'btn btn--primary', 'data-testid': 'account-create' },
        t('adm.createAccount'),
      ),
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.createAccount({
        email: email.value.trim(),
        name: name.value.trim(),
        password: password.value,
        role: role.value,
      });
      form.reset();
      notice(status, t('adm.created'), 'success');
      load();
    } catch (error) {
      notice(status, validationText(ctx, error), 'error');
      status.focus();
    }
  });
  section.append(status, list, form);

  async function load() {
    try {
      const { accounts = [] } = await api.accounts();
      if (isDisposed()) return;
      drawAccounts(accounts);
    } catch (error) {
      if (!isDisposed()) clear(list).append(errorBox(ctx, error));
    }
  }

  function drawAccounts(accounts) {
    const headers = [
      t('adm.name'),
      t('adm.email'),
      t('adm.role'),
      t('adm.state'),
      t('adm.setPassword'),
      t('adm.createdAt'),
    ];
    clear(list).append(
      h(
        'table',
        { class: 'table table--cards', 'data-testid': 'accounts-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            headers.map((text) => h('th', { scope: 'col' }, text)),
          ),
        ),
        h(
          'tbody',
          null,
          accounts.map((a) => {
            const select = roleSelect(a.role, { 'aria-label': t('adm.changeRole', { name: a.name }) });
            const saveRole = h('button', { type: 'button', class: 'btn btn--small' }, t('adm.save'));
            saveRole.addEventListener('click', () => update(a.id, { role: select.value }));
            const toggle = h(
              'button',
              {
                type: 'button',
                class: `btn btn--small ${a.disabled ? '' : 'btn--danger'}`,
                disabled: a.id === ctx.me.id,
              },
              a.disabled ? t('adm.enable') : t('adm.disable'),
            );
            toggle.addEventListener('click', async () => {
              if (!a.disabled) {
                const sure = await confirmDialog({
                  title: t('adm.disableConfirmTitle', { name: a.name }),
                  text: t('adm.disableConfirmText'),
                  confirm: t('adm.disableConfirm'),
                  cancel: t('app.cancel'),
                });
                if (!sure || isDisposed()) return;
              }
              update(a.id, { disabled: !a.disabled });
            });
            const passwordInput = h('input', {
              type: 'password',
              autocomplete: 'new-password',
              minlength: '12',
              maxlength: '256',
              dir: 'ltr',
              'aria-label': t('adm.setPasswordFor', { name: a.name }),
              'data-testid': 'account-new-password',
            });
            const passwordForm = h(
              'form',
              // Our own sentence for a short password, in the console's language.
              { class: 'inline-form', novalidate: true, 'data-testid': 'account-password-form' },
              passwordInput,
              h(
                'button',
                { type: 'submit', class: 'btn btn--small', 'data-testid': 'account-password-submit' },
                t('adm.setPasswordSubmit'),
              ),
            );
            passwordForm.addEventListener('submit', async (event) => {
              event.preventDefault();
              if (passwordInput.value.length < 12) {
                notice(status, t('adm.passwordTooShort'), 'error');
                passwordInput.focus();
                return;
              }
              const ok = await update(a.id, { password: passwordInput.value }, t('adm.passwordSet'));
              if (ok) passwordInput.value = '';
            });
            const cells = [
              h('bdi', null, a.name),
              h('bdi', { dir: 'ltr' }, a.email),
              h('span', { class: 'inline-form' }, select, saveRole),
              h(
                'span',
                { class: 'inline-form' },
                a.disabled ? t('adm.disabled') : t('adm.active'),
                ' ',
                toggle,
              ),
              passwordForm,
              formatDateTime(a.createdAt),
            ];
            return h(
              'tr',
              { 'data-testid': 'account-row', class: a.disabled ? 'row--disabled' : '' },
              cells.map((cell, i) =>
                h(
                  i === 0 ? 'th' : 'td',
                  { 'data-label': headers[i], scope: i === 0 ? 'row' : undefined },
                  cell,
                ),
              ),
            );
          }),
        ),
      ),
      h('p', { class: 'hint' }, t('adm.passwordHint')),
    );
  }

  async function update(id, changes, done = t('app.saved')) {
    try {
      await api.updateAccount(id, changes);
      notice(status, done, 'success');
      ctx.announce(done);
      load();
      return true;
    } catch (error) {
      notice(status, validationText(ctx, error), 'error');
      status.focus();
      // A refused change (the last admin) shows the row as it still is.
      load();
      return false;
    }
  }

  load();
  return null;
}

/** A 400 names the field that is wrong (the server's message); other errors get our sentence. */
function validationText(ctx, error) {
  if (error instanceof ApiError && error.code === 'email_taken') return t('adm.emailTaken');
  if (error instanceof ApiError && error.code === 'last_admin') return t('adm.lastAdmin');
  if (error instanceof ApiError && error.status === 400 && error.body.message)
    return `${t('app.error')} (${error.body.message})`;
  if (error instanceof ApiError && error.status === 409 && error.body.message)
    return `${t('app.error')} (${error.body.message})`;
  return ctx.errorText(error);
}

// ---------- canned replies ----------

function cannedSection(section, ctx, isDisposed) {
  const status = h('div', { class: 'notice-area', tabindex: '-1' });
  const list = h('ul', { class: 'canned-list', 'data-testid': 'canned-list' });
  const title = h('input', {
    type: 'text',
    name: 'title',
    required: true,
    maxlength: '100',
    'data-testid': 'canned-title',
  });
  const text = h('textarea', {
    name: 'text',
    required: true,
    rows: '3',
    maxlength: '4000',
    dir: 'auto',
    'data-testid': 'canned-text',
  });
  const form = h(
    'form',
    { class: 'stack', 'aria-labelledby': 'adm-canned-add' },
    h('h3', { id: 'adm-canned-add' }, t('adm.cannedAdd')),
    field(t('adm.cannedTitle'), title),
    field(t('adm.cannedText'), text),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'submit', class: 'btn btn--primary', 'data-testid': 'canned-add' },
        t('adm.cannedAdd'),
      ),
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.createCanned({ title: title.value.trim(), text: text.value.trim() });
      form.reset();
      notice(status, t('app.saved'), 'success');
      load();
    } catch (error) {
      notice(status, validationText(ctx, error), 'error');
      status.focus();
    }
  });
  section.append(status, list, form);

  async function load() {
    try {
      const { replies = [] } = await api.cannedReplies();
      if (isDisposed()) return;
      clear(list);
      if (replies.length === 0) list.append(h('li', { class: 'muted' }, t('app.none')));
      for (const reply of replies) list.append(item(reply));
    } catch (error) {
      if (!isDisposed()) clear(list).append(h('li', null, errorBox(ctx, error)));
    }
  }

  function item(reply) {
    const itemTitle = h('input', { type: 'text', value: reply.title, maxlength: '100' });
    const itemText = h('textarea', { rows: '2', maxlength: '4000', dir: 'auto' });
    itemText.value = reply.text;
    const save = h('button', { type: 'button', class: 'btn btn--small' }, t('adm.save'));
    const remove = h('button', { type: 'button', class: 'btn btn--small btn--danger' }, t('adm.delete'));
    save.addEventListener('click', async () => {
      try {
        await api.updateCanned(reply.id, { title: itemTitle.value.trim(), text: itemText.value.trim() });
        notice(status, t('app.saved'), 'success');
        ctx.announce(t('app.saved'));
      } catch (error) {
        notice(status, validationText(ctx, error), 'error');
        status.focus();
      }
    });
    remove.addEventListener('click', async () => {
      const sure = await confirmDialog({
        title: t('adm.deleteConfirmTitle', { title: reply.title }),
        text: t('adm.deleteConfirmText'),
        confirm: t('adm.deleteConfirm'),
        cancel: t('app.cancel'),
      });
      if (!sure || isDisposed()) return;
      try {
        await api.deleteCanned(reply.id);
        notice(status, t('adm.deleted'), 'success');
        ctx.announce(t('adm.deleted'));
        load();
        status.focus();
      } catch (error) {
        notice(status, ctx.errorText(error), 'error');
        status.focus();
      }
    });
    return h(
      'li',
      { class: 'canned-item', 'data-testid': 'canned-item' },
      field(t('adm.cannedTitle'), itemTitle),
      field(t('adm.cannedText'), itemText),
      h('div', { class: 'actions' }, save, remove),
    );
  }

  load();
  return null;
}

// ---------- audit log ----------

function auditSection(section, ctx, isDisposed) {
  const list = h('div', null, loading());
  section.append(list);
  (async () => {
    try {
      const { entries = [] } = await api.audit(100);
      if (isDisposed()) return;
      const headers = [t('adm.at'), t('adm.who'), t('adm.action'), t('adm.target'), t('adm.details')];
      clear(list).append(
        h(
          'table',
          { class: 'table table--cards table--compact', 'data-testid': 'audit-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              headers.map((text) => h('th', { scope: 'col' }, text)),
            ),
          ),
          h(
            'tbody',
            null,
            entries.map((e) =>
              h(
                'tr',
                null,
                [
                  formatDateTime(e.at),
                  h('bdi', null, e.staff?.name ?? t('app.dash')),
                  h('span', { 'data-testid': 'audit-action', title: e.action }, label('audit', e.action)),
                  h('code', { dir: 'ltr' }, e.target ?? t('app.dash')),
                  h(
                    'code',
                    { dir: 'ltr', class: 'wrap' },
                    e.details && Object.keys(e.details).length > 0
                      ? JSON.stringify(e.details)
                      : t('app.dash'),
                  ),
                ].map((cell, i) => h('td', { 'data-label': headers[i] }, cell)),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      if (!isDisposed()) clear(list).append(errorBox(ctx, error));
    }
  })();
  return null;
}

// ---------- WhatsApp ----------

function qrSvg(text) {
  const { size, modules } = encodeQr(text, { level: 'L' });
  const quiet = 4;
  const total = size + quiet * 2;
  let path = '';
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (modules[y][x]) path += `M${x + quiet},${y + quiet}h1v1h-1z`;
  }
  return s(
    'svg',
    {
      viewBox: `0 0 ${total} ${total}`,
      class: 'qr',
      role: 'img',
      'aria-label': t('adm.whatsappQr'),
      'shape-rendering': 'crispEdges',
      'data-testid': 'whatsapp-qr',
    },
    s('rect', { width: total, height: total, fill: '#ffffff' }),
    s('path', { d: path, fill: '#000000' }),
  );
}

function whatsappSection(section, ctx, isDisposed) {
  const body = h('div', { 'aria-live': 'polite' }, loading());
  section.append(body);
  let timer = null;
  let lastKey = null;
  async function load() {
    try {
      const state = await api.whatsapp();
      if (isDisposed()) return;
      // Redraw only when something changed, so the live region does not repeat itself.
      const key = JSON.stringify([state.state, state.reason, state.qr]);
      if (key === lastKey) return;
      lastKey = key;
      const parts = [
        h(
          'p',
          { 'data-testid': 'whatsapp-state' },
          t('adm.whatsappState', { state: state.state ? label('wa', state.state) : t('app.dash') }),
        ),
        // The channel's own words (a technical reason, in English): for whoever runs the server.
        state.reason ? h('p', { class: 'muted' }, h('bdi', { dir: 'ltr', lang: 'en' }, state.reason)) : null,
      ];
      if (state.qr)
        parts.push(h('p', null, t('adm.whatsappScan')), h('div', { class: 'qr-wrap' }, qrSvg(state.qr)));
      else parts.push(h('p', { class: 'muted' }, t('adm.whatsappNoQr')));
      clear(body).append(...parts.filter(Boolean));
    } catch (error) {
      if (!isDisposed()) clear(body).append(errorBox(ctx, error));
    } finally {
      if (!isDisposed()) timer = setTimeout(load, WHATSAPP_REFRESH_MS);
    }
  }
  load();
  return () => clearTimeout(timer);
}
