import { z } from 'zod';
import type { AnyRoute } from './route';

type JsonSchema = Record<string, unknown>;

/** Builds the OpenAPI 3.1 document from the route declarations and their zod schemas. */
export function openApiDocument(groups: { prefix: string; routes: readonly AnyRoute[] }[], version: string): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      reused: 'inline',
    }) as JsonSchema;
    return hoist(json, components, io);
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const { prefix, routes } of groups) {
    for (const r of routes) {
      const path = `${prefix}${r.path}`;
      const parameters = [...objectParams(r.params, 'path', (s) => schemaOf(s, 'input')), ...objectParams(r.query, 'query', (s) => schemaOf(s, 'input'))];
      const op: Record<string, unknown> = {
        summary: r.summary,
        tags: [r.tag],
        operationId: `${r.method}${path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
        ...(r.permission === 'public' ? { security: [] } : { 'x-permission': r.permission }),
        ...(parameters.length ? { parameters } : {}),
        ...(r.body
          ? {
              requestBody: {
                required: true,
                content:
                  r.bodyFormat === 'csv' ? { 'text/csv': { schema: { type: 'string' } } } : { 'application/json': { schema: schemaOf(r.body, 'input') } },
              },
            }
          : {}),
        ...(r.upload
          ? {
              requestBody: {
                required: true,
                content: {
                  'multipart/form-data': {
                    schema: {
                      type: 'object',
                      required: [r.upload.field],
                      properties: { [r.upload.field]: { type: 'string', format: 'binary', description: r.upload.description } },
                    },
                  },
                },
              },
            }
          : {}),
        responses: Object.fromEntries(
          Object.entries(r.responses).map(([status, spec]) => [
            status,
            {
              description: spec.description,
              ...(spec.schema ? { content: { [spec.contentType ?? 'application/json']: { schema: schemaOf(spec.schema, 'output') } } } : {}),
            },
          ]),
        ),
      };
      const ops = paths[path] ?? {};
      ops[r.method] = op;
      paths[path] = ops;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'diemcau',
      version,
      description: 'Directory of room systems, meeting bookings and live control of the diemcau conference bridge.',
    },
    servers: [{ url: '/' }],
    // Either will do: a key for programs, the session cookie (with X-CSRF-Token on changes) for the console.
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key from `diemcau apikey create`' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'diemcau_session',
          description: 'Set by POST /api/v1/session; a request that changes anything also sends the session\u2019s csrfToken as X-CSRF-Token',
        },
      },
      schemas: components,
    },
  };
}

function objectParams(schema: z.ZodType | undefined, where: 'path' | 'query', toJson: (s: z.ZodType) => JsonSchema) {
  if (!schema) return [];
  const json = toJson(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(typeof s['description'] === 'string' ? { description: s['description'] } : {}),
    schema: s,
  }));
}

/** Moves schemas that carry a `meta({ id })` into components, referenced by name (inputs and outputs apart). */
function hoist(json: JsonSchema, components: Record<string, JsonSchema>, io: 'input' | 'output'): JsonSchema {
  const defs = (json['$defs'] ?? {}) as Record<string, JsonSchema>;
  const rename = (id: string) => (io === 'input' && !/Create|Update/.test(id) ? `${id}Input` : id);
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== 'object') return node;
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(node as JsonSchema)) {
      if (k === '$defs' || k === '$schema') continue;
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        out[k] = `#/components/schemas/${rename(v.slice(8))}`;
      } else out[k] = rewrite(v);
    }
    return out;
  };
  for (const [id, def] of Object.entries(defs)) components[rename(id)] = rewrite(def) as JsonSchema;
  const { id, ...rest } = rewrite(json) as JsonSchema & { id?: string };
  if (typeof id === 'string') {
    components[rename(id)] = rest;
    return { $ref: `#/components/schemas/${rename(id)}` };
  }
  return rest;
}
