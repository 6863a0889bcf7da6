import { z } from 'zod';
import { roles, type ApiKey } from '../../access/api-key.entity';
import { authProblems, problems, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import { route, uuidParams } from '../route';

const keyOut = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });

const issuedOut = keyOut.extend({ token: z.string().describe('The bearer token; shown only in this response') }).meta({ id: 'IssuedApiKey' });

const keyCreate = z
  .object({ name: z.string().trim().min(1).max(100), role: z.enum(roles) })
  .strict()
  .meta({ id: 'ApiKeyCreate' });

function presentKey(k: ApiKey): z.infer<typeof keyOut> {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export function apiKeyRoutes({ keys }: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/api-keys',
      tag: 'api-keys',
      summary: 'List API keys (never their secrets)',
      permission: 'keys:manage',
      responses: { 200: { description: 'All keys', schema: z.object({ items: z.array(keyOut) }) }, ...authProblems },
      async handler(ctx) {
        ctx.body = { items: (await keys.list()).map(presentKey) };
      },
    }),
    route({
      method: 'post',
      path: '/api-keys',
      tag: 'api-keys',
      summary: 'Issue a key; its token is in this response only',
      permission: 'keys:manage',
      body: keyCreate,
      responses: { 201: { description: 'Issued', schema: issuedOut }, ...writeProblems },
      async handler(ctx, { body, caller }) {
        const { key, token } = await keys.issue(body.name, body.role, caller!.actor);
        ctx.status = 201;
        ctx.body = { ...presentKey(key), token };
      },
    }),
    route({
      method: 'delete',
      path: '/api-keys/{id}',
      tag: 'api-keys',
      summary: 'Revoke a key',
      permission: 'keys:manage',
      params: uuidParams,
      responses: { 204: { description: 'Revoked' }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params, caller }) {
        await keys.revoke(params.id, caller!.actor);
        ctx.status = 204;
      },
    }),
  ];
}
