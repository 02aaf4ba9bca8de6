import { ApiError, api } from '../api.js';
import { field, h, notice } from '../dom.js';
import { t } from '../i18n.js';

export function render(container, ctx, { message, onLogin }) {
  const status = h('div', { class: 'notice-area', 'data-testid': 'login-notice' });
  const email = h('input', {
    type: 'email',
    name: 'email',
    autocomplete: 'username',
    required: true,
    dir: 'ltr',
    'data-testid': 'login-email',
  });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
    dir: 'ltr',
    'data-testid': 'login-password',
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn--primary', 'data-testid': 'login-submit' },
    t('login.submit'),
  );
  const form = h(
    'form',
    { class: 'card login-form', novalidate: true },
    h('h1', null, t('login.title')),
    status,
    field(t('login.email'), email),
    field(t('login.password'), password),
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      notice(status, t('login.required'), 'error');
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    try {
      const { staff, csrfToken } = await api.login(email.value.trim(), password.value);
      password.value = '';
      onLogin(staff, csrfToken);
    } catch (error) {
      let text = ctx.errorText(error);
      if (error instanceof ApiError && error.status === 401) text = t('login.invalid');
      if (error instanceof ApiError && error.status === 429) {
        const seconds = Number(error.body.retryAfterSeconds) || 60;
        text = t('login.tooMany', { minutes: Math.max(1, Math.ceil(seconds / 60)) });
      }
      notice(status, text, 'error');
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  container.append(h('div', { class: 'login-wrap' }, form));
  if (message) notice(status, message, 'info');
  if (window.matchMedia('(pointer: fine)').matches) email.focus({ preventScroll: true });
  return null;
}
