import { z } from 'zod';
import type { ApiDeps } from './deps';
import { route } from './route';

const readyOut = z
  .object({
    ready: z.boolean(),
    dependencies: z.record(z.string(), z.enum(['up', 'down', 'connecting', 'not configured'])),
  })
  .meta({ id: 'Readiness' });

export function healthRoutes({ readiness, metrics }: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/metrics',
      tag: 'health',
      summary: 'Prometheus metrics: meetings, participants, registrations, call setups, dial-outs, media servers, API latency, event loop',
      permission: 'public',
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' }, 404: { description: 'Metrics are off' } },
      async handler(ctx) {
        if (!metrics) {
          ctx.status = 404;
          return;
        }
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
    }),
    route({
      method: 'get',
      path: '/healthz',
      tag: 'health',
      summary: 'The process is up',
      permission: 'public',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      handler(ctx) {
        ctx.body = { status: 'ok' };
      },
    }),
    route({
      method: 'get',
      path: '/readyz',
      tag: 'health',
      summary: 'Every dependency the bridge uses, with its state',
      permission: 'public',
      responses: {
        200: { description: 'Ready', schema: readyOut },
        503: { description: 'A dependency is down', schema: readyOut },
      },
      async handler(ctx) {
        const dependencies = await readiness();
        const ready = Object.values(dependencies).every((s) => s === 'up' || s === 'not configured');
        ctx.status = ready ? 200 : 503;
        ctx.body = { ready, dependencies };
      },
    }),
  ];
}
