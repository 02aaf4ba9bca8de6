// Browser front end of the beneficiary web chat.
// Plain ES module on purpose: no build step, no dependencies, and nothing a strict
// `default-src 'self'` CSP would block (no inline styles from HTML strings, no innerHTML, no eval).
// All server/user text goes through textContent, so it can never be interpreted as markup.

const VISITOR_KEY = 'aiou-chat-visitor';
const MESSAGES_URL = '/api/chat/messages';
const HISTORY_URL = '/api/chat/history';
// Waits before attempts 2..6. Resending is safe because the server deduplicates by messageId.
const SEND_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const HISTORY_RETRY_DELAYS_MS = [500, 1500];
// A hung connection must count as a network failure, otherwise the queue would stall forever.
const REQUEST_TIMEOUT_MS = 20000;
// Staff replies (and anything else written outside the visitor's own requests) arrive by polling.
const POLL_VISIBLE_MS = 3000;
const POLL_HIDDEN_MS = 10000;
// Each poll asks again for a little before the newest known message: a message whose transaction
// started earlier can commit later. Ids de-duplicate what comes back twice.
const POLL_OVERLAP_MS = 30000;
const START_LABEL = 'ابدأ';

const TEXT = {
  welcome: 'مرحبًا بك! اكتب سؤالك أو اضغط «ابدأ» لعرض القائمة.',
  pending: 'جارٍ الإرسال…',
  notSent: 'لم تُرسَل',
  rejected: 'تعذّر قبول هذه الرسالة. راجع نصّها ثم أرسلها من جديد.',
  tooLong: 'الرسالة أطول من المسموح. اختصرها ثم أرسلها من جديد.',
  unavailable: 'تعذّر الاتصال بالخادم. تحقّق من اتصالك بالإنترنت.',
  slowDown: 'أرسلتَ رسائل كثيرة في وقت قصير، وستُرسَل رسالتك بعد قليل تلقائيًا.',
  retry: 'إعادة المحاولة',
  historyFailed: 'تعذّر تحميل المحادثة السابقة.',
  choicesLabel: 'خيارات الرد',
  staff: 'موظف الجمعية',
};

const els = {
  scroller: document.getElementById('chat-scroller'),
  log: document.getElementById('chat-log'),
  typing: document.getElementById('chat-typing'),
  form: document.getElementById('chat-form'),
  input: document.getElementById('chat-input'),
  send: document.getElementById('chat-send'),
};

const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
const timeFormat = new Intl.DateTimeFormat('ar-SA-u-nu-latn', {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

const state = {
  visitorId: getVisitorId(),
  // Outgoing messages, oldest first; the head is the one in flight. Strict order matters
  // because the bot is a dialogue state machine: replies depend on what came before.
  queue: [],
  draining: false,
  // Set when the head exhausted its retries: everything behind it waits for «إعادة المحاولة».
  blocked: false,
  // The only live choices group (under the latest bot message), or null.
  choices: null,
  // After a choice click its buttons vanish; remember to put keyboard focus somewhere sensible.
  focusAfterReply: false,
  historyLoaded: Promise.resolve(),
  // Ids of the server's messages already on the page, so a poll never shows one twice.
  seen: new Set(),
  // Server time (ms) of the newest message the server has shown us: the polling cursor.
  cursor: null,
  pollTimer: null,
  polling: false,
};

// ---------- identifiers ----------

function uuid() {
  // randomUUID only exists in secure contexts; plain-http deployments need the fallback.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function getVisitorId() {
  try {
    const saved = localStorage.getItem(VISITOR_KEY);
    if (saved && /^[0-9A-Za-z-]{8,64}$/.test(saved)) return saved;
    const id = uuid();
    localStorage.setItem(VISITOR_KEY, id);
    return id;
  } catch {
    // Storage blocked (private mode, strict settings): the conversation lives for this page only.
    return uuid();
  }
}

// ---------- rendering ----------

function setTime(timeEl, at) {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) {
    timeEl.textContent = '';
    return;
  }
  timeEl.dateTime = date.toISOString();
  timeEl.textContent = timeFormat.format(date);
}

/** Builds a message row. The data-testid sits on the bubble so its textContent is exactly the message. */
function createMessage(direction, text, at, testId = direction === 'in' ? 'msg-in' : 'msg-out', sender) {
  const row = document.createElement('div');
  row.className = `msg msg--${direction}`;
  if (sender === 'staff') {
    // A person answers now: say so, so the visitor knows it is not the bot.
    row.classList.add('msg--staff');
    row.dataset.sender = 'staff';
    const who = document.createElement('div');
    who.className = 'sender';
    who.textContent = TEXT.staff;
    row.append(who);
  }
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dir = 'auto'; // English/LTR text (emails, references) renders in its own direction
  bubble.dataset.testid = testId;
  bubble.textContent = text;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const time = document.createElement('time');
  setTime(time, at);
  meta.append(time);
  row.append(bubble, meta);
  return { row, bubble, meta, time, direction };
}

function appendMessage(direction, text, at, testId, sender) {
  const view = createMessage(direction, text, at, testId, sender);
  els.log.append(view.row);
  scrollToBottom();
  return view;
}

function setStatus(item, status) {
  const { view } = item;
  view.row.dataset.state = status;
  if (status === 'sent') setTime(view.time, item.at);
  else view.time.textContent = status === 'pending' ? TEXT.pending : TEXT.notSent;
}

function showChoices(row, labels) {
  clearChoices();
  if (labels.length === 0) return;
  const group = document.createElement('div');
  group.className = 'choices';
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', TEXT.choicesLabel);
  for (const label of labels) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'choice';
    button.dir = 'auto';
    button.dataset.testid = 'choice';
    button.textContent = label;
    // Choices are stale once the user has already sent something that is still queued.
    button.disabled = state.queue.length > 0;
    button.addEventListener('click', () => {
      state.focusAfterReply = true;
      submit(label);
    });
    group.append(button);
  }
  row.append(group);
  state.choices = group;
}

function clearChoices() {
  state.choices?.remove();
  state.choices = null;
}

function setChoicesEnabled(enabled) {
  for (const button of state.choices?.querySelectorAll('button') ?? []) button.disabled = !enabled;
}

function createNotice(message, onRetry) {
  const notice = document.createElement('div');
  notice.className = 'notice';
  notice.setAttribute('role', 'alert');
  notice.dataset.testid = 'chat-error';
  const label = document.createElement('span');
  label.textContent = message;
  notice.append(label);
  if (onRetry) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'notice-retry';
    button.dataset.testid = 'chat-retry';
    button.textContent = TEXT.retry;
    button.addEventListener('click', () => {
      notice.remove();
      // The button is gone; keep keyboard users in the conversation rather than on <body>.
      els.input.focus();
      onRetry();
    });
    notice.append(button);
  }
  return notice;
}

function setTyping(on) {
  els.typing.hidden = !on;
  if (on) scrollToBottom();
}

function scrollToBottom(instant = false) {
  // Wait a frame so the freshly appended node has been laid out and scrollHeight is final.
  requestAnimationFrame(() => {
    els.scroller.scrollTo({
      top: els.scroller.scrollHeight,
      behavior: instant || reducedMotion.matches ? 'auto' : 'smooth',
    });
  });
}

function restoreFocus() {
  if (!state.focusAfterReply) return;
  state.focusAfterReply = false;
  const firstChoice = state.choices?.querySelector('button:not(:disabled)');
  (firstChoice ?? els.input).focus({ preventScroll: true });
}

// ---------- networking ----------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Never throws: returns { ok, body } or { ok: false, retryable, status, body, retryAfterMs }. */
async function requestJson(url, init) {
  let res;
  try {
    res = await fetch(url, {
      ...init,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      signal: AbortSignal.timeout?.(REQUEST_TIMEOUT_MS),
    });
  } catch {
    return { ok: false, retryable: true, status: 0, body: null };
  }
  const body = await res.json().catch(() => null);
  if (res.ok && body && typeof body === 'object') return { ok: true, status: res.status, body };
  // 429/5xx are transient. A 2xx with an unreadable body is treated the same (a proxy mangled it);
  // thanks to messageId dedup the resend just returns the stored replies.
  const retryable = res.ok || res.status === 429 || res.status >= 500;
  const retryAfter = Number(res.headers.get('retry-after'));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 0;
  return { ok: false, retryable, status: res.status, body, retryAfterMs };
}

async function withRetries(attempt, delays) {
  for (let i = 0; ; i++) {
    const result = await attempt();
    // 429 is the server's flood limit: waiting out its retry-after in silence would leave the
    // message "sending" for minutes, so the caller says so at once and sends it again later.
    if (result.ok || !result.retryable || result.status === 429 || i >= delays.length) return result;
    await sleep(Math.max(delays[i], result.retryAfterMs ?? 0));
  }
}

function cleanChoices(choices) {
  return Array.isArray(choices) ? choices.filter((c) => typeof c === 'string' && c.trim() !== '') : [];
}

function parseReplies(body) {
  const replies = Array.isArray(body.replies) ? body.replies : [];
  return replies
    .filter((r) => typeof r?.text === 'string')
    .map((r) => ({
      id: typeof r.id === 'string' ? r.id : null,
      text: r.text,
      choices: cleanChoices(r.choices),
    }));
}

function rejectionText(result) {
  const code = typeof result.body?.error === 'string' ? result.body.error : '';
  return result.status === 413 || /too_?long|length/i.test(code) ? TEXT.tooLong : TEXT.rejected;
}

// ---------- outgoing queue ----------

function submit(rawText) {
  const text = rawText.trim();
  if (text === '') return;
  // The user moved on: the current choices no longer answer the latest turn.
  setChoicesEnabled(false);
  const at = new Date();
  const item = { messageId: uuid(), text, at, view: appendMessage('in', text, at) };
  setStatus(item, 'pending');
  state.queue.push(item);
  drain();
}

async function drain() {
  if (state.draining || state.blocked) return;
  state.draining = true;
  try {
    // History is prepended when it arrives; replies must not overtake it.
    await state.historyLoaded;
    while (state.queue.length > 0 && !state.blocked) await sendHead();
  } finally {
    state.draining = false;
    setTyping(false);
  }
}

async function sendHead() {
  const item = state.queue[0];
  setTyping(true);
  const payload = JSON.stringify({ visitorId: state.visitorId, messageId: item.messageId, text: item.text });
  const result = await withRetries(
    () => requestJson(MESSAGES_URL, { method: 'POST', body: payload }),
    SEND_RETRY_DELAYS_MS,
  );

  if (result.ok) {
    state.queue.shift();
    setStatus(item, 'sent');
    renderReplies(parseReplies(result.body));
    return;
  }
  if (!result.retryable) {
    // A 4xx will fail the same way again, so drop it and let the queue move on.
    state.queue.shift();
    setStatus(item, 'failed');
    item.view.row.append(createNotice(rejectionText(result)));
    setChoicesEnabled(state.queue.length === 0);
    restoreFocus();
    scrollToBottom();
    return;
  }
  // Out of automatic retries: keep the item at the head (same messageId) so later messages stay behind it.
  state.blocked = true;
  setStatus(item, 'failed');
  // Only once per failure: the button and the timer must not both send it.
  let resent = false;
  const resend = () => {
    if (resent) return;
    resent = true;
    state.blocked = false;
    setStatus(item, 'pending');
    drain();
  };
  const limited = result.status === 429;
  const notice = createNotice(limited ? TEXT.slowDown : TEXT.unavailable, resend);
  item.view.row.append(notice);
  // The flood limit says when sending is allowed again: the message goes then by itself.
  if (limited) {
    setTimeout(() => {
      notice.remove();
      resend();
    }, result.retryAfterMs || 5000);
  }
  scrollToBottom();
}

function renderReplies(allReplies) {
  // A poll may already have shown some of them (it can land between the commit and this answer).
  const replies = allReplies.filter((reply) => !reply.id || !state.seen.has(reply.id));
  for (const reply of replies) if (reply.id) state.seen.add(reply.id);
  if (replies.length === 0) {
    setChoicesEnabled(state.queue.length === 0);
    restoreFocus();
    return;
  }
  const now = new Date();
  let last = null;
  for (const reply of replies) last = appendMessage('out', reply.text, now);
  showChoices(last.row, replies[replies.length - 1].choices);
  restoreFocus();
}

// ---------- history ----------

function isValidHistoryMessage(m) {
  return (m?.direction === 'in' || m?.direction === 'out') && typeof m.text === 'string';
}

/** Remembers a message from the server: its id (de-duplication) and its time (the poll cursor). */
function noteServerMessage(m) {
  if (typeof m.id === 'string') state.seen.add(m.id);
  const at = Date.parse(m.at);
  if (Number.isFinite(at) && (state.cursor === null || at > state.cursor)) state.cursor = at;
}

async function loadHistory() {
  const url = `${HISTORY_URL}?visitorId=${encodeURIComponent(state.visitorId)}`;
  const result = await withRetries(() => requestJson(url, { method: 'GET' }), HISTORY_RETRY_DELAYS_MS);
  const messages = result.ok && Array.isArray(result.body.messages) ? result.body.messages : [];
  const valid = messages.filter(isValidHistoryMessage);

  // Prepend, because the user may already have typed something while history was loading.
  const fragment = document.createDocumentFragment();
  // 404 simply means "no conversation yet"; anything else deserves a notice.
  if (!result.ok && result.status !== 404) {
    const notice = createNotice(TEXT.historyFailed);
    notice.classList.add('notice--standalone');
    fragment.append(notice);
  }

  let last = null;
  for (const m of valid) {
    last = createMessage(m.direction, m.text, m.at, undefined, m.sender);
    fragment.append(last.row);
    noteServerMessage(m);
  }
  if (last) {
    els.log.prepend(fragment);
    const lastMessage = valid[valid.length - 1];
    // The previous answer's buttons only make sense if the bot spoke last.
    if (last.direction === 'out' && state.queue.length === 0)
      showChoices(last.row, cleanChoices(lastMessage.choices));
  } else {
    const welcome = createMessage('out', TEXT.welcome, new Date(), 'welcome');
    welcome.row.classList.add('msg--hint');
    welcome.meta.remove(); // a local hint, not a real message: no timestamp
    fragment.append(welcome.row);
    els.log.prepend(fragment);
    showChoices(welcome.row, [START_LABEL]);
  }
  // Restoring a long conversation should land at the end at once, not animate through it.
  scrollToBottom(true);
}

// ---------- polling for staff replies ----------

function pollDelay() {
  return document.hidden ? POLL_HIDDEN_MS : POLL_VISIBLE_MS;
}

function schedulePoll(delay = pollDelay()) {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(poll, delay);
}

/** True while the visitor's own messages are on their way: their answers come with the POST. */
function sending() {
  return state.queue.length > 0 || state.draining;
}

async function poll() {
  if (state.polling) return;
  state.polling = true;
  try {
    if (sending()) return;
    const params = new URLSearchParams({ visitorId: state.visitorId });
    if (state.cursor !== null) params.set('after', new Date(state.cursor - POLL_OVERLAP_MS).toISOString());
    const result = await requestJson(`${HISTORY_URL}?${params}`, { method: 'GET' });
    // A send started meanwhile: let it render its own replies (with their buttons); the next
    // poll picks up anything else.
    if (result.ok && Array.isArray(result.body.messages) && !sending()) showPolled(result.body.messages);
  } catch (error) {
    console.error('chat poll', error);
  } finally {
    state.polling = false;
    schedulePoll();
  }
}

/** Appends the bot and staff messages the page does not have yet, oldest first. */
function showPolled(messages) {
  let last = null;
  let lastMessage = null;
  for (const m of messages.filter(isValidHistoryMessage)) {
    const known = typeof m.id === 'string' && state.seen.has(m.id);
    noteServerMessage(m);
    // The visitor's own messages are already on the page (typed here); only answers are new.
    if (known || m.direction !== 'out' || typeof m.id !== 'string') continue;
    last = appendMessage('out', m.text, m.at, undefined, m.sender);
    lastMessage = m;
  }
  // The newest answer's buttons are the live ones; buttons above it are stale.
  if (last) showChoices(last.row, cleanChoices(lastMessage.choices));
}

function initPolling() {
  schedulePoll();
  // Back in view: fetch at once instead of finishing a 10 s wait.
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) schedulePoll(0);
  });
}

// ---------- composer ----------

function autogrow() {
  // Modern engines size the textarea in CSS (field-sizing: content); this is the fallback.
  if (window.CSS?.supports?.('field-sizing', 'content')) return;
  const el = els.input;
  el.style.height = 'auto'; // CSSOM writes are allowed under CSP, unlike style="" attributes
  const borders = el.offsetHeight - el.clientHeight;
  el.style.height = `${el.scrollHeight + borders}px`; // CSS max-height caps it, then it scrolls
}

function updateSendState() {
  els.send.disabled = els.input.value.trim() === '';
}

function sendFromInput() {
  const text = els.input.value;
  if (text.trim() === '') return;
  els.input.value = '';
  autogrow();
  updateSendState();
  submit(text);
  els.input.focus();
}

function initComposer() {
  els.input.addEventListener('input', () => {
    autogrow();
    updateSendState();
  });
  els.input.addEventListener('keydown', (event) => {
    // isComposing: Enter that confirms an IME candidate must not send the message.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromInput();
    }
  });
  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFromInput();
  });
  autogrow();
  updateSendState();
  // Only auto-focus with a real pointer: on phones it would pop the keyboard over the history.
  if (window.matchMedia('(pointer: fine)').matches) els.input.focus({ preventScroll: true });
}

initComposer();
// Never let a rendering bug in history block the outgoing queue that awaits it.
state.historyLoaded = loadHistory().catch((error) => console.error('chat history', error));
// Polling starts once history is on the page, so a polled message never lands above it.
state.historyLoaded.then(initPolling);
