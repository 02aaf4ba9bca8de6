// The console's only door to the server: the JSON API of docs/staff-api.md. The session lives in
// an HTTP-only cookie the page cannot read; the CSRF token is kept in memory only and sent as
// `x-csrf-token` on every state-changing request.

const REQUEST_TIMEOUT_MS = 20000;

/** An API answer that was not 2xx, with the server's error code and body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof body?.error === 'string' ? body.error : status === 0 ? 'network' : 'http';
    this.body = body ?? {};
  }
}

let csrfToken = null;
let onUnauthenticated = () => {};

export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' ? token : null;
}

/** Called when any request answers 401: the session is gone (expired, logged out elsewhere). */
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export async function request(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout?.(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new ApiError(0, { error: 'network' });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const error = new ApiError(res.status, data);
    if (res.status === 401 && !path.endsWith('/login') && !path.endsWith('/me')) onUnauthenticated(error);
    throw error;
  }
  return data ?? {};
}

/** Builds `/api/staff/…?a=1&b=2`, leaving out empty values. */
export function withQuery(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

const enc = encodeURIComponent;

export const api = {
  login: (email, password) => request('POST', '/api/staff/login', { email, password }),
  logout: () => request('POST', '/api/staff/logout'),
  me: () => request('GET', '/api/staff/me'),

  conversations: (view) => request('GET', withQuery('/api/staff/conversations', { view })),
  conversation: (id) => request('GET', `/api/staff/conversations/${enc(id)}`),
  takeover: (id) => request('POST', `/api/staff/conversations/${enc(id)}/takeover`, {}),
  reply: (id, text) => request('POST', `/api/staff/conversations/${enc(id)}/reply`, { text }),
  transfer: (id, staffId) => request('POST', `/api/staff/conversations/${enc(id)}/transfer`, { staffId }),
  handback: (id) => request('POST', `/api/staff/conversations/${enc(id)}/handback`, {}),
  close: (id) => request('POST', `/api/staff/conversations/${enc(id)}/close`, {}),

  cannedReplies: () => request('GET', '/api/staff/canned-replies'),
  createCanned: (reply) => request('POST', '/api/staff/canned-replies', reply),
  updateCanned: (id, reply) => request('PATCH', `/api/staff/canned-replies/${enc(id)}`, reply),
  deleteCanned: (id) => request('DELETE', `/api/staff/canned-replies/${enc(id)}`),

  requests: (filters) => request('GET', withQuery('/api/staff/requests', filters)),
  request: (id) => request('GET', `/api/staff/requests/${enc(id)}`),
  reveal: (id, field) => request('POST', `/api/staff/requests/${enc(id)}/reveal`, { field }),
  changeStatus: (id, status, note) =>
    request('POST', `/api/staff/requests/${enc(id)}/status`, { status, note }),
  assignRequest: (id, staffId) => request('POST', `/api/staff/requests/${enc(id)}/assign`, { staffId }),

  contactExportUrl: (id) => `/api/staff/contacts/${enc(id)}/export`,
  eraseContact: (id) => request('POST', `/api/staff/contacts/${enc(id)}/erase`, { confirm: 'erase' }),

  satisfaction: (from, to) => request('GET', withQuery('/api/staff/reports/satisfaction', { from, to })),

  accounts: () => request('GET', '/api/staff/accounts'),
  colleagues: () => request('GET', '/api/staff/colleagues'),
  createAccount: (account) => request('POST', '/api/staff/accounts', account),
  updateAccount: (id, changes) => request('PATCH', `/api/staff/accounts/${enc(id)}`, changes),
  audit: (limit = 100) => request('GET', withQuery('/api/staff/audit', { limit })),
  whatsapp: () => request('GET', '/api/staff/whatsapp'),
};
