// Support requests: filtered list (status, dates, city, support type, search by reference or
// name) and a detail page with every field, the audited reveal of personal numbers, the status
// history, a status change offering only the statuses that may follow, and (supervisors) the
// choice of the request's handler.

import { ApiError, api } from '../api.js';
import { append, clear, confirmDialog, details, field, h, notice, option } from '../dom.js';
import { formatDate, formatDateTime, formatNumber, label, STATUSES, SUPPORT_TYPES, t } from '../i18n.js';
import { errorBox, loading, pageHeading, staffName, statusChip, withNumbers } from './common.js';

const PAGE_SIZE = 25;
/** Statuses nothing follows (see allowedNextStatuses): asked for before they are set. */
const FINAL_STATUSES = new Set(['rejected', 'completed', 'cancelled']);

/** The list's filters survive opening a request and coming back. */
let savedFilters = { status: '', supportType: '', city: '', from: '', to: '', q: '' };
let savedOffset = 0;

/** How often an open request's page looks for a colleague's change. */
const REFRESH_MS = 5000;

export function render(container, ctx, params) {
  return params.id ? renderDetail(container, ctx, params.id) : renderList(container, ctx);
}

// ---------- list ----------

function renderList(container, ctx) {
  let disposed = false;
  const controls = {
    status: h('select', { name: 'status', 'data-testid': 'filter-status' }),
    supportType: h('select', { name: 'supportType', 'data-testid': 'filter-support-type' }),
    city: h('input', { type: 'text', name: 'city', maxlength: '60', 'data-testid': 'filter-city' }),
    from: h('input', { type: 'date', name: 'from', 'data-testid': 'filter-from' }),
    to: h('input', { type: 'date', name: 'to', 'data-testid': 'filter-to' }),
    q: h('input', { type: 'search', name: 'q', maxlength: '100', 'data-testid': 'filter-q' }),
  };
  append(
    controls.status,
    option('', t('req.any')),
    STATUSES.map((s) => option(s, label('status', s))),
  );
  append(
    controls.supportType,
    option('', t('req.any')),
    SUPPORT_TYPES.map((s) => option(s, label('support', s))),
  );
  for (const [key, control] of Object.entries(controls)) control.value = savedFilters[key] ?? '';

  const form = h(
    'form',
    { class: 'card filters', role: 'search', 'aria-label': t('req.filters') },
    h(
      'div',
      { class: 'filters-grid' },
      field(t('req.search'), controls.q),
      field(t('req.status'), controls.status),
      field(t('req.supportType'), controls.supportType),
      field(t('req.city'), controls.city),
      field(t('req.from'), controls.from),
      field(t('req.to'), controls.to),
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'submit', class: 'btn btn--primary', 'data-testid': 'filter-apply' },
        t('req.apply'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn--ghost',
          onclick: () => {
            for (const control of Object.values(controls)) control.value = '';
            savedOffset = 0;
            load();
          },
        },
        t('req.reset'),
      ),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    savedOffset = 0;
    load();
  });

  const summary = h('p', { class: 'muted', role: 'status', 'data-testid': 'requests-total' });
  const results = h('div', { class: 'results' });
  const pager = h('div', { class: 'pager' });
  container.append(pageHeading(t('req.title')), form, summary, results, pager);

  async function load() {
    savedFilters = Object.fromEntries(Object.entries(controls).map(([k, c]) => [k, c.value.trim()]));
    clear(results).append(loading());
    try {
      const { total = 0, requests = [] } = await api.requests({
        ...savedFilters,
        limit: PAGE_SIZE,
        offset: savedOffset,
      });
      if (disposed) return;
      summary.textContent = t('req.total', { count: formatNumber(total) });
      drawTable(requests);
      drawPager(total);
    } catch (error) {
      if (disposed) return;
      clear(results).append(errorBox(ctx, error));
      clear(pager);
    }
  }

  function drawTable(requests) {
    clear(results);
    if (requests.length === 0) {
      results.append(h('p', { class: 'empty', 'data-testid': 'requests-empty' }, t('req.empty')));
      return;
    }
    const headers = [
      t('req.reference'),
      t('req.name'),
      t('req.status'),
      t('req.supportType'),
      t('req.city'),
      t('req.createdAt'),
      t('req.assignedTo'),
    ];
    results.append(
      h(
        'table',
        { class: 'table table--cards', 'data-testid': 'requests-table' },
        h('caption', { class: 'visually-hidden' }, t('req.title')),
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
          requests.map((r) => {
            const cells = [
              h(
                'a',
                { href: `#/requests/${encodeURIComponent(r.id)}`, 'data-testid': 'request-link' },
                h('bdi', { dir: 'ltr' }, r.reference),
              ),
              h('bdi', null, r.fullName ?? ''),
              statusChip(r.status),
              label('support', r.supportType),
              h('bdi', null, r.city ?? ''),
              formatDate(r.createdAt),
              staffName(r.assignedTo) ?? t('app.dash'),
            ];
            return h(
              'tr',
              { 'data-testid': 'request-row' },
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
    );
  }

  function drawPager(total) {
    clear(pager);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (pages <= 1) return;
    const page = Math.floor(savedOffset / PAGE_SIZE) + 1;
    pager.append(
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn--ghost',
          disabled: page <= 1,
          onclick: () => {
            savedOffset = Math.max(0, savedOffset - PAGE_SIZE);
            load();
          },
        },
        t('req.prev'),
      ),
      h('span', { class: 'muted' }, t('req.page', { page: formatNumber(page), pages: formatNumber(pages) })),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn--ghost',
          disabled: page >= pages,
          onclick: () => {
            savedOffset += PAGE_SIZE;
            load();
          },
        },
        t('req.next'),
      ),
    );
  }

  load();
  return () => {
    disposed = true;
  };
}

// ---------- detail ----------

function renderDetail(container, ctx, id) {
  let disposed = false;
  // Supervisors pick a request's handler among active colleagues, loaded once per visit.
  const mayAssign = ctx.hasRole('supervisor');
  let colleagues = null;
  const body = h('div', { class: 'request-detail' }, loading());
  const status = h('div', { class: 'notice-area', tabindex: '-1', 'data-testid': 'request-notice' });
  container.append(h('p', { class: 'back' }, h('a', { href: '#/requests' }, t('app.back'))), status, body);

  async function loadColleagues() {
    if (!mayAssign || colleagues !== null) return;
    try {
      colleagues = (await api.colleagues()).colleagues ?? [];
    } catch {
      // Without the list (a network error) the form still offers the supervisor and «no handler».
      colleagues = [];
    }
  }

  /** What a colleague's change moves: the request's time, its status history, its handlers. */
  const versionOf = (data) =>
    [data?.request?.updatedAt, data?.history?.length, data?.assignments?.length].join('|');
  let shownVersion = null;
  let refreshTimer = null;
  /** Bumped by every load: a look started before one must not draw over it. */
  let loads = 0;
  let toldVersion = null;

  async function load() {
    loads += 1;
    try {
      const [data] = await Promise.all([api.request(id), loadColleagues()]);
      if (disposed) return;
      shownVersion = versionOf(data);
      draw(data);
    } catch (error) {
      if (disposed) return;
      clear(body).append(errorBox(ctx, error));
    }
  }

  /**
   * A colleague may change the request while it is open here: look again every few seconds
   * (while the tab is visible) and show it as it is now — unless this person is typing in its
   * forms, who is told instead and sees it after their own change.
   */
  async function refresh() {
    if (disposed) return;
    try {
      if (!document.hidden && shownVersion !== null) {
        const before = loads;
        const data = await api.request(id);
        if (disposed) return;
        if (loads === before && versionOf(data) !== shownVersion) {
          const focused = document.activeElement;
          const editing = body.contains(focused) && focused?.matches('input, textarea, select');
          const version = versionOf(data);
          if (!editing) {
            shownVersion = version;
            draw(data);
          }
          // Said once per change, not at every look while the person keeps typing.
          if (toldVersion !== version) {
            toldVersion = version;
            const text = editing ? t('req.changedElsewhere') : t('req.refreshed');
            notice(status, text, 'info');
            ctx.announce(text);
          }
        }
      }
    } catch {
      // A failed look is no news: the next one tries again.
    }
    refreshTimer = setTimeout(refresh, REFRESH_MS);
  }

  /** A change went through: say so (also to screen readers) and show the request as it is now. */
  async function changed(text) {
    notice(status, text, 'success');
    ctx.announce(text);
    await load();
    status.focus();
  }

  function revealable(fieldName, masked, testId, mayReveal) {
    const value = h('bdi', { dir: 'ltr', class: 'masked', 'data-testid': testId }, masked || t('app.dash'));
    const fieldLabel = fieldName === 'national_id' ? t('req.nationalId') : t('req.mobile');
    const button = h(
      'button',
      {
        type: 'button',
        class: 'btn btn--small btn--ghost',
        'aria-label': t('req.revealLabel', { field: fieldLabel }),
        'data-testid': `reveal-${fieldName}`,
      },
      t('req.reveal'),
    );
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const { value: revealed } = await api.reveal(id, fieldName);
        value.textContent = revealed ?? '';
        value.classList.remove('masked');
        button.remove();
        value.tabIndex = -1;
        value.focus();
      } catch (error) {
        button.disabled = false;
        notice(
          status,
          error instanceof ApiError && error.status === 403 ? t('req.revealDenied') : ctx.errorText(error),
          'error',
        );
      }
    });
    return h('span', { class: 'reveal' }, value, ' ', masked && mayReveal ? button : null);
  }

  function draw({ request: r, history = [], assignments = [] }) {
    const allowed = Array.isArray(r.allowedNext) ? r.allowedNext : [];
    // The API reveals only to the request's handler and supervisors: nobody else gets the button.
    // Nothing left to reveal once the applicant's data was erased.
    const mayReveal = !r.erasedAt && (ctx.hasRole('supervisor') || (r.assignedTo?.id ?? null) === ctx.me?.id);
    const fields = details(
      [
        [t('req.name'), h('bdi', { 'data-testid': 'request-name' }, r.fullName ?? '')],
        [t('req.nationalId'), revealable('national_id', r.nationalIdMasked, 'national-id', mayReveal)],
        [t('req.mobile'), revealable('mobile', r.mobileMasked, 'mobile', mayReveal)],
        [t('req.city'), h('bdi', null, r.city ?? '')],
        [t('req.supportType'), label('support', r.supportType)],
        [t('req.familySize'), formatNumber(r.familySize)],
        [t('req.income'), t('req.incomeValue', { amount: formatNumber(r.monthlyIncome) })],
        [t('req.description'), h('p', { class: 'prewrap', dir: 'auto' }, withNumbers(r.description))],
        [t('req.createdAt'), formatDateTime(r.createdAt)],
        [t('req.updatedAt'), formatDateTime(r.updatedAt)],
        [t('req.assignedTo'), staffName(r.assignedTo) ?? t('app.dash')],
        r.conversationId
          ? [
              t('req.conversation'),
              h(
                'a',
                { href: `#/conversations/${encodeURIComponent(r.conversationId)}` },
                t('rep.openConversation'),
              ),
            ]
          : null,
      ].filter(Boolean),
    );

    const historyList = h(
      'ol',
      { class: 'timeline', 'data-testid': 'status-history' },
      history.map((entry) =>
        h(
          'li',
          { class: 'timeline-item', 'data-testid': 'history-entry' },
          h(
            'div',
            { class: 'timeline-head' },
            statusChip(entry.status),
            ' ',
            h('time', { datetime: entry.at }, formatDateTime(entry.at)),
          ),
          h('div', { class: 'muted' }, changedBy(entry.changedBy)),
          entry.note
            ? h(
                'p',
                { class: 'prewrap', dir: 'auto', 'data-testid': 'history-note' },
                withNumbers(entry.note),
              )
            : null,
        ),
      ),
    );

    clear(body).append(
      pageHeading(t('req.detail', { reference: r.reference }), statusChip(r.status)),
      h(
        'div',
        { class: 'two-col' },
        h(
          'section',
          { class: 'card', 'aria-label': t('req.detail', { reference: r.reference }) },
          r.erasedAt
            ? h(
                'p',
                { class: 'notice', role: 'note', 'data-testid': 'request-erased' },
                t('req.erased', { time: formatDateTime(r.erasedAt) }),
              )
            : null,
          fields,
        ),
        h(
          'div',
          null,
          statusForm(r, allowed),
          mayAssign ? assignForm(r) : null,
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'history-title' },
            h('h2', { id: 'history-title' }, t('req.history')),
            historyList,
            assignments.length > 0 ? assignmentList(assignments) : null,
          ),
        ),
      ),
    );
  }

  function handledByColleague(assignedTo) {
    const name = staffName(assignedTo.name ? assignedTo : null);
    return name ? t('req.handledByColleague', { name }) : t('req.handledByAColleague');
  }

  /** Who held the request when: each change of handler, with who made it. */
  function assignmentList(assignments) {
    const holder = (person) => staffName(person) ?? t('req.noHandler');
    return h(
      'div',
      null,
      h('h3', null, t('req.assignments')),
      h(
        'ol',
        { class: 'timeline', 'data-testid': 'assignment-history' },
        assignments.map((entry) =>
          h(
            'li',
            { class: 'timeline-item', 'data-testid': 'assignment-entry' },
            h(
              'div',
              { class: 'timeline-head' },
              t('req.assignmentEntry', { from: holder(entry.from), to: holder(entry.to) }),
              ' ',
              h('time', { datetime: entry.at }, formatDateTime(entry.at)),
            ),
            h(
              'div',
              { class: 'muted' },
              t('req.assignmentBy', { name: staffName(entry.by) ?? t('app.dash') }),
            ),
          ),
        ),
      ),
    );
  }

  function changedBy(by) {
    if (by === 'beneficiary') return t('req.by.beneficiary');
    if (by === 'system') return t('req.by.system');
    return staffName(by) ?? t('app.dash');
  }

  /** The handler select (supervisors and admins; the API refuses agents too). */
  function assignForm(r) {
    const current = r.assignedTo?.id ?? '';
    const people = new Map();
    if (ctx.me?.id) people.set(ctx.me.id, { ...ctx.me, self: true });
    for (const c of colleagues ?? []) if (!people.has(c.id)) people.set(c.id, c);
    const personLabel = (p) => {
      const name = staffName(p) ?? '';
      const role = p.role ? ` (${label('role', p.role)})` : '';
      return p.self ? t('req.assignYou', { name }) : `${name}${role}`;
    };
    const select = h('select', { name: 'staffId', 'data-testid': 'assign-select' });
    append(
      select,
      option('', t('req.assignNone'), current === ''),
      [...people.values()].map((p) => option(p.id, personLabel(p), p.id === current)),
    );
    // A handler who is no longer active (disabled) is shown as the current one, not offered.
    if (current && !people.has(current)) {
      const gone = option(current, t('req.assignInactive', { name: staffName(r.assignedTo) ?? '' }), true);
      gone.disabled = true;
      select.append(gone);
      gone.selected = true;
    }
    const submit = h(
      'button',
      { type: 'submit', class: 'btn btn--primary', disabled: true, 'data-testid': 'assign-submit' },
      t('req.assignSubmit'),
    );
    select.addEventListener('change', () => {
      submit.disabled = select.value === current;
    });
    const form = h(
      'form',
      { class: 'stack' },
      field(t('req.assignTo'), select, t('req.assignHint')),
      h('div', { class: 'actions' }, submit),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (select.value === current) return;
      submit.disabled = true;
      const chosen = people.get(select.value);
      try {
        await api.assignRequest(r.id, select.value || null);
        const text = select.value
          ? t('req.assigned', { name: staffName(chosen) ?? '' })
          : t('req.unassigned');
        await changed(text);
      } catch (error) {
        submit.disabled = false;
        const invalid = error instanceof ApiError && error.code === 'invalid_assignee';
        notice(status, invalid ? t('req.assignInvalid') : ctx.errorText(error), 'error');
        if (invalid) {
          // Disabled meanwhile: offer the colleagues as they are now.
          colleagues = null;
          await load();
        }
        status.focus();
      }
    });
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'assign-title', 'data-testid': 'assign-form' },
      h('h2', { id: 'assign-title' }, t('req.assign')),
      form,
    );
  }

  function statusForm(r, allowed) {
    const section = h(
      'section',
      { class: 'card', 'aria-labelledby': 'status-title' },
      h('h2', { id: 'status-title' }, t('req.changeStatus')),
    );
    if (allowed.length === 0) {
      section.append(h('p', { class: 'muted' }, t('req.finalStatus')));
      return section;
    }
    // An agent does not act on a colleague's request (the API refuses it too); supervisors may.
    if (r.assignedTo && r.assignedTo.id !== ctx.me?.id && !ctx.hasRole('supervisor')) {
      section.append(
        h(
          'p',
          { class: 'muted', 'data-testid': 'status-handled-elsewhere' },
          handledByColleague(r.assignedTo),
        ),
      );
      return section;
    }
    const select = h('select', { name: 'status', required: true, 'data-testid': 'status-select' });
    append(
      select,
      allowed.map((s) => option(s, label('status', s))),
    );
    const note = h('textarea', {
      name: 'note',
      rows: '3',
      maxlength: '1000',
      dir: 'auto',
      'data-testid': 'status-note',
    });
    const submit = h(
      'button',
      { type: 'submit', class: 'btn btn--primary', 'data-testid': 'status-submit' },
      t('req.submitStatus'),
    );
    // An agent's change of an unassigned request makes it theirs: said before, not after.
    const becomesHandler = !r.assignedTo && !ctx.hasRole('supervisor');
    const form = h(
      'form',
      { class: 'stack' },
      field(t('req.newStatus'), select),
      field(t('req.note'), note),
      becomesHandler
        ? h('p', { class: 'hint', 'data-testid': 'status-becomes-handler' }, t('req.becomeHandler'))
        : null,
      h('div', { class: 'actions' }, submit),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (FINAL_STATUSES.has(select.value)) {
        const sure = await confirmDialog({
          title: t('req.finalConfirmTitle', { status: label('status', select.value) }),
          text: t('req.finalConfirmText'),
          confirm: t('req.finalConfirm'),
          cancel: t('app.cancel'),
        });
        if (!sure || disposed) return;
      }
      submit.disabled = true;
      try {
        await api.changeStatus(r.id, select.value, note.value.trim() || null);
        await changed(t('req.statusChanged', { status: label('status', select.value) }));
      } catch (error) {
        submit.disabled = false;
        const colleague = error instanceof ApiError && error.status === 403 && error.body?.assignedTo;
        notice(
          status,
          colleague
            ? handledByColleague(error.body.assignedTo)
            : error instanceof ApiError && error.code === 'invalid_transition'
              ? t('req.invalidTransition')
              : ctx.errorText(error),
          'error',
        );
        // Taken by a colleague meanwhile: show who handles it now instead of the form.
        if (colleague) await load();
        status.focus();
      }
    });
    section.append(form);
    return section;
  }

  load().then(() => {
    refreshTimer = setTimeout(refresh, REFRESH_MS);
  });
  return () => {
    disposed = true;
    clearTimeout(refreshTimer);
  };
}
