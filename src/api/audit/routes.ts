import { z } from 'zod';
import { AuditEventEntity } from '../../audit/audit-event.entity';
import { ValidationError } from '../../errors';
import { authProblems, pageOf, problems } from '../common';
import type { ApiDeps } from '../deps';
import { route } from '../route';

const auditOut = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    actor: z.string(),
    operatorId: z.uuid().nullable().describe('The signed-in operator who acted, if it was one'),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });

const auditQuery = z
  .object({
    resourceType: z.string().max(40).optional(),
    resourceId: z.string().max(64).optional(),
    actor: z.string().max(200).optional().describe('Exactly as shown in `actor`, e.g. apikey:ops or cli'),
    operatorId: z.uuid().optional().describe('Everything one operator did'),
    siteId: z.uuid().optional().describe('Changes to one site (resourceType site)'),
    meetingId: z.uuid().optional().describe('Changes to one meeting (resourceType meeting)'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export function auditRoutes({ ds }: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/audit-events',
      tag: 'audit',
      summary: 'Who changed what, newest first',
      permission: 'audit:read',
      query: auditQuery,
      responses: { 200: { description: 'A page of events', schema: pageOf(auditOut, 'AuditEventPage') }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query }) {
        const targets = [query.siteId && 'siteId', query.meetingId && 'meetingId', (query.resourceType || query.resourceId) && 'resourceType'].filter(Boolean);
        if (targets.length > 1) throw new ValidationError([{ field: 'meetingId', message: 'name one target: siteId, meetingId, or resourceType/resourceId' }]);
        const target = query.siteId
          ? { resourceType: 'site', resourceId: query.siteId }
          : query.meetingId
            ? { resourceType: 'meeting', resourceId: query.meetingId }
            : {
                ...(query.resourceType && { resourceType: query.resourceType }),
                ...(query.resourceId && { resourceId: query.resourceId }),
              };
        const where = {
          ...target,
          ...(query.actor && { actor: query.actor }),
          ...(query.operatorId && { operatorId: query.operatorId }),
        };
        const [rows, total] = await ds.manager.findAndCount(AuditEventEntity, {
          where,
          order: { id: 'DESC' },
          take: query.limit,
          skip: query.offset,
        });
        ctx.body = {
          items: rows.map((e) => ({ ...e, id: String(e.id), at: e.at.toISOString(), apiKeyId: undefined })),
          total,
          limit: query.limit,
          offset: query.offset,
        };
      },
    }),
  ];
}
