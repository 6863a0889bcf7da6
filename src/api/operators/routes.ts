import { z } from 'zod';
import { roles } from '../../access/api-key.entity';
import type { Operator } from '../../access/operator.entity';
import { PASSWORD_MAX } from '../../access/passwords';
import { authProblems, iso, problems, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import { route, uuidParams } from '../route';

/** An account as the API shows it: never its password hash. */
export const operatorOut = z
  .object({
    id: z.uuid(),
    username: z.string(),
    name: z.string(),
    role: z.enum(roles),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    lastSignInAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Operator' });

// Lengths in the schema bound the body; the password rules themselves are the domain's (passwords.ts).
const password = z
  .string()
  .min(1)
  .max(PASSWORD_MAX * 4);
const name = z.string().trim().min(1).max(100).describe('Full name, as the audit log shows it');

const operatorCreate = z
  .object({
    username: z.string().trim().min(1).max(64).describe('Letters a-z, digits, ".", "_", "-"; case-insensitive'),
    name,
    role: z.enum(roles),
    password: password.describe('At least 10 characters'),
  })
  .strict()
  .meta({ id: 'OperatorCreate' });

const operatorUpdate = z
  .object({
    name: name.optional(),
    role: z.enum(roles).optional(),
    enabled: z.boolean().optional().describe('false ends the account\u2019s sessions at once'),
    password: password.optional().describe('A reset: ends the account\u2019s sessions'),
  })
  .strict()
  .meta({ id: 'OperatorUpdate' });

export function presentOperator(op: Operator): z.infer<typeof operatorOut> {
  return {
    id: op.id,
    username: op.username,
    name: op.name,
    role: op.role,
    enabled: op.enabled,
    createdAt: iso(op.createdAt),
    updatedAt: iso(op.updatedAt),
    lastSignInAt: op.lastSignInAt ? iso(op.lastSignInAt) : null,
  };
}

export function operatorRoutes({ accounts: { operators } }: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/operators',
      tag: 'operators',
      summary: 'List operator accounts',
      permission: 'operators:manage',
      responses: { 200: { description: 'All accounts', schema: z.object({ items: z.array(operatorOut) }) }, ...authProblems },
      async handler(ctx) {
        ctx.body = { items: (await operators.list()).map(presentOperator) };
      },
    }),
    route({
      method: 'post',
      path: '/operators',
      tag: 'operators',
      summary: 'Create an operator account',
      permission: 'operators:manage',
      body: operatorCreate,
      responses: { 201: { description: 'Created', schema: operatorOut }, ...writeProblems, 409: problems[409] },
      async handler(ctx, { body, caller }) {
        ctx.status = 201;
        ctx.body = presentOperator(await operators.create(body, caller!.actor));
      },
    }),
    route({
      method: 'get',
      path: '/operators/{id}',
      tag: 'operators',
      summary: 'One operator account',
      permission: 'operators:manage',
      params: uuidParams,
      responses: { 200: { description: 'The account', schema: operatorOut }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params }) {
        ctx.body = presentOperator(await operators.get(params.id));
      },
    }),
    route({
      method: 'patch',
      path: '/operators/{id}',
      tag: 'operators',
      summary: 'Change an account: name, role, enabled, or reset its password',
      permission: 'operators:manage',
      params: uuidParams,
      body: operatorUpdate,
      responses: {
        200: { description: 'Changed', schema: operatorOut },
        ...writeProblems,
        404: problems[404],
        409: { ...problems[409], description: 'It would leave no enabled admin account' },
      },
      async handler(ctx, { params, body, caller }) {
        ctx.body = presentOperator(await operators.update(params.id, body, caller!.actor, caller!.session?.id));
      },
    }),
    route({
      method: 'delete',
      path: '/operators/{id}',
      tag: 'operators',
      summary: 'Delete an account that never acted (otherwise disable it), unless it is the last enabled admin',
      permission: 'operators:manage',
      params: uuidParams,
      responses: { 204: { description: 'Deleted' }, ...authProblems, 404: problems[404], 409: problems[409] },
      async handler(ctx, { params, caller }) {
        await operators.delete(params.id, caller!.actor);
        ctx.status = 204;
      },
    }),
  ];
}
