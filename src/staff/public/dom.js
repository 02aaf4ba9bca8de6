// The only way the console builds markup. Text always goes through text nodes (textContent), so
// whatever a beneficiary typed — `<script>`, `<img onerror>` — is shown as text and never parsed.
// There is deliberately no way to pass HTML here, and event handlers are functions, never strings.

const SVG_NS = 'http://www.w3.org/2000/svg';

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'innerHTML' || key === 'outerHTML' || key === 'style') {
      // Markup strings and style attributes are refused (XSS and CSP): use classes and the CSSOM.
      throw new Error(`h(): "${key}" is not allowed`);
    }
    if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new Error(`h(): ${key} must be a function`);
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class')
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = String(value);
    else if (
      key === 'value' ||
      key === 'checked' ||
      key === 'selected' ||
      key === 'disabled' ||
      key === 'hidden'
    )
      el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** h('button', { class: 'btn', onclick: fn }, 'Text', childNode, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  appendChildren(el, children);
  return el;
}

/** The same for SVG elements (charts, the QR code). */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') || key === 'style') throw new Error(`s(): "${key}" is not allowed`);
    el.setAttribute(key, String(value));
  }
  appendChildren(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Appends children like h() does: arrays flattened, text as text nodes, nullish skipped. */
export function append(el, ...children) {
  appendChildren(el, children);
  return el;
}

/** A labelled form field: <div class="field"><label for>…</label><control id></div>. */
let fieldCounter = 0;
export function field(labelText, control, hint) {
  fieldCounter += 1;
  const id = control.id || `f${fieldCounter}`;
  control.id = id;
  const parts = [h('label', { for: id }, labelText), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

export function option(value, text, selected = false) {
  const el = h('option', { value }, text);
  el.selected = selected;
  return el;
}

/** A notice (role=alert for errors, role=status otherwise) shown in `container`, replacing the previous one. */
export function notice(container, text, kind = 'info') {
  clear(container);
  if (!text) return;
  container.append(
    h(
      'div',
      {
        class: `notice notice--${kind}`,
        role: kind === 'error' ? 'alert' : 'status',
        'data-testid': `notice-${kind}`,
      },
      text,
    ),
  );
}

/** A definition list from [label, value] pairs; values may be nodes or text. */
export function details(pairs) {
  return h(
    'dl',
    { class: 'details' },
    pairs.map(([term, value]) =>
      h('div', { class: 'details-row' }, h('dt', null, term), h('dd', null, value)),
    ),
  );
}

/**
 * Asks before an action that cannot be undone (closing a conversation, disabling an account…):
 * a modal <dialog> with the question, the consequence and two buttons, the safe one focused
 * first. Escape or «إلغاء» answer false. Resolves to true only on the confirm button.
 */
export function confirmDialog({ title, text, confirm, cancel, danger = true }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = `confirm-title-${++fieldCounter}`;
    const textId = `${titleId}-text`;
    const cancelButton = h(
      'button',
      { type: 'submit', value: 'cancel', class: 'btn btn--ghost', 'data-testid': 'confirm-cancel' },
      cancel,
    );
    const dialog = h(
      'dialog',
      {
        class: 'confirm',
        'aria-labelledby': titleId,
        'aria-describedby': textId,
        'data-testid': 'confirm-dialog',
      },
      h(
        'form',
        { method: 'dialog', class: 'stack' },
        h('h2', { id: titleId }, title),
        h('p', { id: textId }, text),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'submit',
              value: 'ok',
              class: `btn ${danger ? 'btn--danger-solid' : 'btn--primary'}`,
              'data-testid': 'confirm-ok',
            },
            confirm,
          ),
          cancelButton,
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(ok);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}
