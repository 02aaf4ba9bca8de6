import type { FastifyError, FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { type Logger, safeError } from '../../logger.js';
import { StaffApiError } from '../errors.js';

/** Errors of other layers that mean a definite answer, not a failure: mapped by class, never by name. */
export type ErrorMapping = (error: unknown) => StaffApiError | undefined;

/**
 * The staff API's error answers, `{ error, message }` as docs/staff-api.md lists them. Anything
 * unexpected is logged (kind and digit-masked message only) and answered with a bare 500.
 */
export function setStaffErrorHandler(
  app: FastifyInstance,
  logger: Logger,
  mappings: readonly ErrorMapping[],
): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const mapped = error instanceof StaffApiError ? error : mappings.map((map) => map(error)).find(Boolean);
    if (mapped) {
      if (mapped.code === 'too_many_attempts' && typeof mapped.extra.retryAfterSeconds === 'number') {
        reply.header('retry-after', String(mapped.extra.retryAfterSeconds));
      }
      return reply
        .status(mapped.status)
        .send({ error: mapped.code, message: mapped.message, ...mapped.extra });
    }
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      return reply.status(400).send({
        error: 'invalid',
        message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
      });
    }
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      // Fastify's own refusals: malformed JSON, unsupported content type, body too large.
      return reply.status(status).send({ error: 'invalid', message: (error as Error).message });
    }
    logger.error({ err: safeError(error), route: request.routeOptions.url }, 'staff API request failed');
    return reply.status(500).send({ error: 'internal', message: 'something went wrong; please try again' });
  });
}
