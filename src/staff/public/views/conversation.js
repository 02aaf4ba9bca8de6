// One conversation: the full history across the contact's channels (newest at the bottom),
// take over, reply (with canned replies), transfer, hand back, close. Live through the inbox
// events; messages are appended by id so the aria-live log announces only what is new.

import { ApiError, api } from '../api.js';
import { append, clear, confirmDialog, details, field, h, notice, option } from '../dom.js';
import { formatDateTime, formatTime, label, t } from '../i18n.js';
import { channelChip, errorBox, loading, modeChip, requestRef, staffName, withNumbers } from './common.js';

const RELOAD_DEBOUNCE_MS = 200;
/** While a reply is still pending, look again this often (web replies become "sent" when fetched). */
const PENDING_RECHECK_MS = 4000;

/** Unsent reply drafts by conversation, so switching language or view does not lose them. */
const drafts = new Map();

export function render(container, ctx, { id }) {
  let data = null;
  let disposed = false;
  let reloadTimer = null;
  let pendingTimer = null;
  let canned = [];
  let colleagues = [];
  let mayAct = false;
  const rendered = new Map();

  const title = h('h1', { class: 'conv-title', 'data-testid': 'conv-title' }, t('conv.title'));
  const headChips = h('div', { class: 'chips' });
  const log = h('ol', {
    class: 'log',
    role: 'log',
    'aria-live': 'polite',
    'aria-label': t('conv.history'),
    'data-testid': 'conv-log',
    tabindex: '0',
  });
  const status = h('div', { class: 'notice-area', 'data-testid': 'conv-notice', tabindex: '-1' });

  // ---------- actions ----------
  const takeoverButton = h(
    'button',
    { type: 'button', class: 'btn btn--primary', 'data-testid': 'takeover', onclick: takeover, hidden: true },
    t('conv.takeover'),
  );
  const handbackButton = h(
    'button',
    { type: 'button', class: 'btn', 'data-testid': 'handback', onclick: handback, hidden: true },
    t('conv.handback'),
  );
  const closeButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn--danger',
      'data-testid': 'close',
      onclick: closeConversation,
      hidden: true,
    },
    t('conv.close'),
  );
  const transferSelect = h('select', { name: 'staffId', 'data-testid': 'transfer-select' });
  const transferForm = h(
    'form',
    { class: 'inline-form', hidden: true, 'data-testid': 'transfer-form' },
    field(t('conv.transferTo'), transferSelect),
    h('button', { type: 'submit', class: 'btn', 'data-testid': 'transfer-submit' }, t('conv.transferSubmit')),
  );
  transferForm.addEventListener('submit', transfer);

  // ---------- composer ----------
  const replyInput = h('textarea', {
    name: 'text',
    rows: '3',
    maxlength: '4000',
    dir: 'auto',
    'data-testid': 'reply-input',
  });
  replyInput.value = drafts.get(id) ?? '';
  replyInput.addEventListener('input', () => drafts.set(id, replyInput.value));
  // Enter sends, as in every chat tool; Shift+Enter starts a new line. Not while an input
  // method is composing a word (Enter there picks the word).
  replyInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.altKey || event.isComposing) return;
    event.preventDefault();
    replyForm.requestSubmit();
  });
  const cannedSelect = h('select', { name: 'canned', 'data-testid': 'canned-select' });
  const cannedInsert = h(
    'button',
    { type: 'button', class: 'btn btn--ghost', 'data-testid': 'canned-insert', onclick: insertCanned },
    t('conv.cannedInsert'),
  );
  const cannedRow = h(
    'div',
    { class: 'inline-form', hidden: true },
    field(t('conv.canned'), cannedSelect),
    cannedInsert,
  );
  const replyHint = h('p', { class: 'hint', id: `reply-hint-${id}`, 'data-testid': 'reply-hint' });
  const sendHint = h(
    'p',
    { class: 'hint', id: `send-hint-${id}`, 'data-testid': 'send-hint' },
    t('conv.sendHint'),
  );
  const sendButton = h(
    'button',
    { type: 'submit', class: 'btn btn--primary', 'data-testid': 'reply-send' },
    t('conv.send'),
  );
  const replyForm = h(
    'form',
    { class: 'composer', 'aria-label': t('conv.reply') },
    cannedRow,
    field(t('conv.replyLabel'), replyInput),
    replyHint,
    h('div', { class: 'actions composer-actions' }, sendHint, sendButton),
  );
  replyInput.setAttribute('aria-describedby', `${replyHint.id} ${sendHint.id}`);
  replyForm.addEventListener('submit', sendReply);

  const side = h('div', { class: 'side-info' });

  container.append(
    h('p', { class: 'back' }, h('a', { href: '#/inbox' }, t('app.back'))),
    h('div', { class: 'page-head' }, title, headChips),
    h(
      'div',
      { class: 'conv-layout' },
      // First in the page, so on a phone «take over» is above the conversation, not after it;
      // beside the conversation on wider screens (grid areas in console.css).
      h(
        'section',
        { class: 'card conv-actions', 'aria-labelledby': `actions-${id}`, 'data-testid': 'conv-actions' },
        h('h2', { id: `actions-${id}` }, t('conv.actions')),
        status,
        h('div', { class: 'button-row' }, takeoverButton, handbackButton, closeButton),
        transferForm,
      ),
      h('section', { class: 'conv-main', 'aria-label': t('conv.history') }, log, replyForm),
      h('aside', { class: 'conv-side' }, side),
    ),
  );
  log.append(h('li', { class: 'loading-item' }, loading()));

  // ---------- data ----------

  async function reload() {
    clearTimeout(pendingTimer);
    try {
      const next = await api.conversation(id);
      if (disposed) return;
      data = next;
      draw();
    } catch (error) {
      if (disposed) return;
      if (!data) clear(log).append(h('li', null, errorBox(ctx, error)));
      else notice(status, ctx.errorText(error), 'error');
    }
  }

  function scheduleReload(delay = RELOAD_DEBOUNCE_MS) {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(reload, delay);
  }

  async function loadCanned() {
    try {
      const { replies } = await api.cannedReplies();
      canned = Array.isArray(replies) ? replies : [];
    } catch {
      canned = [];
    }
    if (disposed) return;
    append(
      clear(cannedSelect),
      option('', t('conv.cannedChoose')),
      canned.map((reply) => option(String(reply.id), reply.title)),
    );
    cannedRow.hidden = canned.length === 0;
  }

  async function loadColleagues() {
    try {
      colleagues = (await api.colleagues()).colleagues ?? [];
    } catch {
      // Without the list (a network error) the holder named by the conversation is still offered.
      colleagues = [];
    }
    if (disposed) return;
    drawColleagues();
  }

  function drawColleagues() {
    const known = new Map(colleagues.map((c) => [c.id, c]));
    // Staff named by the conversation itself (its holder) are colleagues too.
    const holder = data?.conversation?.assignedTo;
    if (holder?.id && holder.id !== ctx.me.id && !known.has(holder.id)) known.set(holder.id, holder);
    const selected = transferSelect.value;
    append(
      clear(transferSelect),
      option('', t('conv.transferChoose')),
      [...known.values()].map((c) =>
        option(c.id, `${c.name || c.email}${c.role ? ` (${label('role', c.role)})` : ''}`, c.id === selected),
      ),
    );
    // With no colleague to name, there is nobody to transfer to.
    transferForm.hidden = !mayAct || known.size === 0;
  }

  // ---------- drawing ----------

  function draw() {
    const { conversation, contact, messages = [], requests = [], escalation } = data;
    title.textContent = contact?.name || (contact?.erasedAt ? t('conv.erasedName') : t('inbox.unnamed'));
    const assigned = staffName(conversation.assignedTo);
    clear(headChips).append(
      channelChip(conversation.channel),
      modeChip(conversation.mode),
      h(
        'span',
        { class: 'chip', 'data-testid': 'conv-assigned' },
        `${t('conv.assigned')}: `,
        assigned ? h('bdi', null, assigned) : t('conv.unassigned'),
      ),
    );
    drawMessages(messages);
    drawActions(conversation);
    drawSide(contact, requests, escalation);
    drawColleagues();
    if (messages.some((m) => m.sender === 'staff' && m.deliveryStatus === 'pending'))
      pendingTimer = setTimeout(reload, PENDING_RECHECK_MS);
  }

  function drawMessages(messages) {
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80 || rendered.size === 0;
    if (rendered.size === 0) clear(log);
    if (messages.length === 0 && rendered.size === 0) {
      log.append(h('li', { class: 'empty', 'data-testid': 'conv-empty' }, t('conv.empty')));
      return;
    }
    log.querySelector('[data-testid="conv-empty"]')?.remove();
    for (const m of messages) {
      const existing = rendered.get(m.id);
      if (existing) {
        setDelivery(existing, m);
        continue;
      }
      const item = messageItem(m);
      rendered.set(m.id, item);
      log.append(item.li);
    }
    if (nearBottom) log.scrollTop = log.scrollHeight;
  }

  function messageItem(m) {
    const sender = m.sender === 'staff' ? 'staff' : m.sender === 'bot' ? 'bot' : 'contact';
    const who =
      sender === 'staff' ? staffName(m.staff) || t('conv.sender.staff') : t(`conv.sender.${sender}`);
    const time = h('time', { datetime: m.at, title: formatDateTime(m.at) }, formatTime(m.at));
    const delivery = h('span', { class: 'delivery', 'data-testid': 'delivery-state' });
    const choices = Array.isArray(m.choices) ? m.choices.filter((c) => typeof c === 'string') : [];
    const li = h(
      'li',
      {
        class: `msg msg--${m.direction === 'in' ? 'in' : 'out'} msg--${sender}`,
        'data-testid': 'conv-message',
        'data-sender': sender,
        'data-message-id': m.id,
      },
      h(
        'div',
        { class: 'msg-meta' },
        h('bdi', { class: 'msg-sender' }, who),
        ' · ',
        label('channel', m.channel),
        ' · ',
        time,
      ),
      h('div', { class: 'bubble', dir: 'auto', 'data-testid': 'message-text' }, withNumbers(m.text)),
      choices.length > 0
        ? h(
            'ul',
            { class: 'msg-choices', 'aria-label': t('conv.choices') },
            choices.map((c) => h('li', null, h('bdi', null, c))),
          )
        : null,
      sender === 'staff' ? delivery : null,
    );
    const item = { li, delivery };
    setDelivery(item, m);
    return item;
  }

  function setDelivery(item, m) {
    if (m.sender !== 'staff') return;
    const state = m.deliveryStatus ?? 'pending';
    item.delivery.dataset.state = state;
    item.delivery.textContent = label('conv.delivery', state);
  }

  function drawActions(conversation) {
    const mine = conversation.assignedTo?.id === ctx.me.id;
    const supervisor = ctx.hasRole('supervisor');
    const closed = conversation.mode === 'closed';
    const canAct = !closed && (mine || supervisor);
    takeoverButton.hidden = closed || mine;
    handbackButton.hidden = !(canAct && (conversation.mode === 'staff' || conversation.mode === 'waiting'));
    closeButton.hidden = !canAct;
    mayAct = canAct;
    // While the bot runs the conversation the server refuses a reply: take it over first.
    const botRunning = conversation.mode === 'bot';
    const canReply = canAct && !botRunning;
    replyInput.disabled = !canReply;
    sendButton.disabled = !canReply;
    cannedSelect.disabled = !canReply;
    cannedInsert.disabled = !canReply;
    sendHint.hidden = !canReply;
    replyHint.textContent = closed
      ? t('conv.isClosed')
      : canReply
        ? ''
        : botRunning && canAct
          ? t('conv.botRunning')
          : t('conv.notAssignedToYou');
    replyHint.hidden = replyHint.textContent === '';
  }

  function drawSide(contact, requests, escalation) {
    const channels = Array.isArray(contact?.channels) ? contact.channels : [];
    const blocks = [
      h(
        'section',
        { class: 'card', 'aria-labelledby': `contact-${id}` },
        h('h2', { id: `contact-${id}` }, t('conv.contact')),
        contact?.erasedAt
          ? h(
              'p',
              { class: 'muted', 'data-testid': 'contact-erased' },
              t('conv.erasedAt', { time: formatDateTime(contact.erasedAt) }),
            )
          : null,
        details([
          [t('adm.name'), h('bdi', null, contact?.name || t('inbox.unnamed'))],
          [t('conv.phone'), h('bdi', { dir: 'ltr' }, contact?.phoneMasked || t('app.dash'))],
          [
            t('conv.channels'),
            h(
              'span',
              { class: 'chips' },
              channels.map((c) => channelChip(typeof c === 'string' ? c : c.channel)),
            ),
          ],
        ]),
      ),
    ];
    if (escalation) {
      blocks.push(
        h(
          'section',
          { class: 'card', 'aria-labelledby': `esc-${id}` },
          h('h2', { id: `esc-${id}` }, t('conv.escalation')),
          h(
            'p',
            { 'data-testid': 'escalation-at' },
            t('conv.escalationAt', { time: formatDateTime(escalation.createdAt) }),
          ),
          // Where in the bot's flows the beneficiary asked for a person (when it was mid-flow).
          escalation.fromFlow
            ? h(
                'p',
                { class: 'muted', 'data-testid': 'escalation-from' },
                t('conv.escalationFlow', { flow: label('flow', escalation.fromFlow) }),
              )
            : null,
        ),
      );
    }
    blocks.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': `reqs-${id}` },
        h('h2', { id: `reqs-${id}` }, t('conv.requests')),
        requests.length === 0
          ? h('p', { class: 'muted' }, t('app.none'))
          : h(
              'ul',
              { class: 'plain-list' },
              requests.map((r) => h('li', null, requestRef(r))),
            ),
      ),
    );
    // Last: rarely needed, and only an admin's to use.
    if (ctx.hasRole('admin') && contact?.id && !contact.erasedAt) blocks.push(dataRights(contact.id));
    clear(side).append(...blocks);
  }

  /** Admins only: a copy of everything held about the person, or erasure, on their request. */
  function dataRights(contactId) {
    const eraseButton = h(
      'button',
      { type: 'button', class: 'btn btn--danger', 'data-testid': 'erase-contact' },
      t('conv.eraseData'),
    );
    eraseButton.addEventListener('click', async () => {
      const sure = await confirmDialog({
        title: t('conv.eraseConfirmTitle'),
        text: t('conv.eraseConfirmText'),
        confirm: t('conv.eraseConfirm'),
        cancel: t('app.cancel'),
      });
      if (!sure || disposed) return;
      // Every message text changed: the log is drawn afresh, not appended to.
      run(eraseButton, () => api.eraseContact(contactId).then(() => rendered.clear()), t('conv.erased'));
    });
    return h(
      'section',
      { class: 'card', 'aria-labelledby': `data-${id}` },
      h('h2', { id: `data-${id}` }, t('conv.dataRights')),
      h('p', { class: 'muted' }, t('conv.dataRightsHint')),
      h(
        'div',
        { class: 'stack' },
        h(
          'a',
          {
            class: 'btn btn--ghost',
            href: api.contactExportUrl(contactId),
            download: '',
            'data-testid': 'export-contact',
          },
          t('conv.exportData'),
        ),
        eraseButton,
      ),
    );
  }

  // ---------- actions ----------

  async function run(button, action, success, after) {
    button.disabled = true;
    try {
      await action();
      notice(status, success, 'success');
      ctx.announce(success);
      await reload();
      after?.();
    } catch (error) {
      notice(status, actionError(error), 'error');
      status.focus();
      await reload();
    } finally {
      button.disabled = false;
    }
  }

  function actionError(error) {
    if (error instanceof ApiError && error.code === 'conversation_closed') return t('conv.isClosed');
    // The bot took the conversation back meanwhile (the beneficiary left the wait).
    if (error instanceof ApiError && error.code === 'conflict') return t('conv.botRunning');
    if (
      error instanceof ApiError &&
      error.status === 409 &&
      (error.code === 'already_assigned' || error.body.assignedTo)
    ) {
      return t('conv.alreadyAssigned', { name: staffName(error.body.assignedTo) ?? t('app.dash') });
    }
    return ctx.errorText(error);
  }

  function takeover() {
    run(
      takeoverButton,
      () => api.takeover(id),
      t('conv.takenOver'),
      () => replyInput.focus(),
    );
  }

  function handback() {
    run(
      handbackButton,
      () => api.handback(id),
      t('conv.handedBack'),
      () => status.focus(),
    );
  }

  async function closeConversation() {
    const sure = await confirmDialog({
      title: t('conv.closeConfirmTitle'),
      text: t('conv.closeConfirmText'),
      confirm: t('conv.closeConfirm'),
      cancel: t('app.cancel'),
    });
    if (!sure || disposed) return;
    run(
      closeButton,
      () => api.close(id),
      t('conv.closed'),
      () => status.focus(),
    );
  }

  function transfer(event) {
    event.preventDefault();
    const staffId = transferSelect.value;
    if (!staffId) {
      transferSelect.focus();
      return;
    }
    const name = transferSelect.selectedOptions[0]?.textContent ?? '';
    const submit = transferForm.querySelector('button[type="submit"]');
    run(
      submit,
      () => api.transfer(id, staffId),
      t('conv.transferred', { name }),
      () => status.focus(),
    );
  }

  function insertCanned() {
    const reply = canned.find((r) => String(r.id) === cannedSelect.value);
    if (!reply) {
      cannedSelect.focus();
      return;
    }
    const current = replyInput.value.trim();
    replyInput.value = current ? `${current}\n${reply.text}` : reply.text;
    drafts.set(id, replyInput.value);
    replyInput.focus();
  }

  async function sendReply(event) {
    event.preventDefault();
    const text = replyInput.value.trim();
    if (!text) {
      replyInput.focus();
      return;
    }
    sendButton.disabled = true;
    try {
      await api.reply(id, text);
      replyInput.value = '';
      drafts.delete(id);
      clear(status);
      await reload();
    } catch (error) {
      notice(status, actionError(error), 'error');
    } finally {
      sendButton.disabled = replyInput.disabled;
      replyInput.focus();
    }
  }

  // ---------- live ----------

  function onEvent(event) {
    const changed = event.detail?.conversationId;
    if (!changed || changed === id) scheduleReload();
  }
  ctx.events.addEventListener('inbox', onEvent);

  reload().then(() => {
    loadCanned();
    loadColleagues();
  });

  return () => {
    disposed = true;
    clearTimeout(reloadTimer);
    clearTimeout(pendingTimer);
    ctx.events.removeEventListener('inbox', onEvent);
  };
}
