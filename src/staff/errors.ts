/** Error codes of the staff API (docs/staff-api.md), with the HTTP status each answers with. */
export const STAFF_ERRORS = {
  invalid: 400,
  invalid_assignee: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  already_assigned: 409,
  invalid_transition: 409,
  conversation_closed: 409,
  email_taken: 409,
  last_admin: 409,
  erased: 410,
  too_many_attempts: 429,
} as const;
export type StaffErrorCode = keyof typeof STAFF_ERRORS;

/**
 * A refusal the API answers with `{ error, message, ...extra }` and the code's status. Thrown
 * from handlers and the guard; the plugin's error handler turns it into the response.
 */
export class StaffApiError extends Error {
  override readonly name = 'StaffApiError';
  readonly status: number;

  constructor(
    readonly code: StaffErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = STAFF_ERRORS[code];
  }
}

export const notFound = (what: string) => new StaffApiError('not_found', `${what} not found`);
export const forbidden = (message: string) => new StaffApiError('forbidden', message);

/**
 * An agent acting on a support request another member of staff handles (403): the answer names
 * the colleague (`assignedTo`; `name` null when not known at that point) for the console to say so.
 */
export const handledByColleague = (assignedTo: { id: string; name: string | null }) =>
  new StaffApiError(
    'forbidden',
    `this request is handled by ${assignedTo.name || 'a colleague'}; only they or a supervisor can change it`,
    { assignedTo },
  );
