import type { Role } from './api-key.entity';

/** What each role may do, in one place. Routes name a permission, never a role. */
export const permissions = {
  read: ['viewer', 'operator', 'admin'],
  'meetings:write': ['operator', 'admin'],
  'meetings:secrets': ['operator', 'admin'],
  'sites:write': ['admin'],
  'keys:manage': ['admin'],
  'operators:manage': ['admin'],
  'audit:read': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function allows(role: Role, permission: Permission): boolean {
  return (permissions[permission] as readonly Role[]).includes(role);
}
