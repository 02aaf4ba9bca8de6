import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AuditDetails, listAudit, recordAudit } from '../audit.js';
import { deleteSessionsOf } from '../auth/sessions.js';
import type { StaffContext } from '../context.js';
import { sessionOf } from '../http/guard.js';
import { createStaffAccount, listAccounts, listColleagues, updateAccount } from '../storage/accounts.js';
import { idParams, newStaffAccount, staffName, staffPassword, staffRole } from '../validation.js';

const accountChanges = z
  .object({
    name: staffName.optional(),
    role: staffRole.optional(),
    disabled: z.boolean().optional(),
    password: staffPassword.optional(),
  })
  .strict()
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), 'nothing to change');

const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.iso.datetime({ offset: true }).optional(),
  staffId: z.guid().optional(),
  action: z.string().max(50).optional(),
});

/** Staff accounts and the audit log: admins only; the list of colleagues: every signed-in staff member. */
export function accountRoutes(app: FastifyInstance, ctx: StaffContext): void {
  const admin = { config: { staffAccess: 'admin' as const } };

  // Whom a conversation can be transferred to: active colleagues, without account settings.
  app.get('/colleagues', async (request) => ({
    colleagues: await listColleagues(ctx.db, sessionOf(request).staff.id),
  }));

  app.get('/accounts', admin, async () => ({ accounts: await listAccounts(ctx.db) }));

  app.post('/accounts', admin, async (request, reply) => {
    const me = sessionOf(request).staff;
    const input = newStaffAccount.parse(request.body);
    const account = await createStaffAccount(ctx.db, input);
    await recordAudit(ctx.db, {
      staffId: me.id,
      action: 'account.create',
      target: { type: 'staff', id: account.id },
      details: { role: account.role },
      ip: request.ip,
    });
    return reply.status(201).send({ account });
  });

  app.patch('/accounts/:id', admin, async (request) => {
    const session = sessionOf(request);
    const { id } = idParams.parse(request.params);
    const changes = accountChanges.parse(request.body);
    const account = await updateAccount(ctx.db, id, changes);
    // A new password or a disabled account ends that person's other sessions at once.
    if (changes.password !== undefined || changes.disabled === true) {
      await deleteSessionsOf(ctx.db, id, id === session.staff.id ? session.sessionId : undefined);
    }
    const details: AuditDetails = { fields: Object.keys(changes).sort() };
    if (changes.role !== undefined) details.role = changes.role;
    if (changes.disabled !== undefined) details.disabled = changes.disabled;
    await recordAudit(ctx.db, {
      staffId: session.staff.id,
      action: 'account.update',
      target: { type: 'staff', id },
      details,
      ip: request.ip,
    });
    return { account };
  });

  app.get('/audit', admin, async (request) => {
    const query = auditQuery.parse(request.query);
    return {
      entries: await listAudit(ctx.db, {
        limit: query.limit,
        before: query.before ? new Date(query.before) : undefined,
        staffId: query.staffId,
        action: query.action,
      }),
    };
  });
}
