/** Staff roles, least to most trusted: each can do everything the one before it can. */
export const STAFF_ROLES = ['agent', 'supervisor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const RANK: Readonly<Record<StaffRole, number>> = { agent: 0, supervisor: 1, admin: 2 };

/** Whether `role` is at least `required` (a supervisor has every agent right, an admin every right). */
export function hasRole(role: StaffRole, required: StaffRole): boolean {
  return RANK[role] >= RANK[required];
}
