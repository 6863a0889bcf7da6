import type { Context } from 'koa';
import Router from '@koa/router';
import { z } from 'zod';
import type { Permission } from '../access/permissions';
import { ValidationError, type FieldError } from '../errors';
import { readBody, type BodyFormat } from './body';
import { authorize, type Authenticator, type Caller } from './middleware/auth';

/**
 * One declaration per endpoint serves three purposes: the Koa route, request validation, and the
 * OpenAPI document. An endpoint cannot exist without appearing in openapi.json.
 */

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: Caller | null;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
> {
  method: Method;
  /** OpenAPI-style path relative to the router, e.g. `/sites/{id}`. */
  path: string;
  summary: string;
  tag: string;
  /** `public` routes need no key. */
  permission: Permission | 'public';
  params?: P;
  query?: Q;
  body?: B;
  bodyFormat?: BodyFormat;
  responses: Record<number, ResponseSpec>;
  handler: (ctx: Context, input: RouteInput<Infer<P>, Infer<Q>, Infer<B>>) => Promise<void> | void;
}

/** A route as stored for mounting and documenting, its types erased. */
export interface AnyRoute {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  permission: Permission | 'public';
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  bodyFormat?: BodyFormat;
  responses: Record<number, ResponseSpec>;
  handler: (ctx: Context, input: RouteInput<unknown, unknown, unknown>) => Promise<void> | void;
}

export function route<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  const name = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || 'body';
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: name([...i.path, k]), message: 'unknown field' }))
      : [{ field: name(i.path), message: i.message }],
  );
}

function parsePart(schema: z.ZodType | undefined, value: unknown, prefix: string): { value: unknown; errors: FieldError[] } {
  if (!schema) return { value: undefined, errors: [] };
  const r = schema.safeParse(value);
  return r.success ? { value: r.data, errors: [] } : { value: undefined, errors: fieldErrors(r.error, prefix) };
}

/** Mounts routes on a router: authorize → read body → validate → handler. */
export function mount(router: Router, routes: readonly AnyRoute[], auth: Authenticator): void {
  for (const r of routes) {
    const koaPath = r.path.replace(/\{(\w+)\}/g, ':$1');
    router[r.method](koaPath, async (ctx) => {
      const caller = r.permission === 'public' ? null : await authorize(ctx, auth, r.permission);
      const rawBody = r.body ? await readBody(ctx, r.bodyFormat ?? 'json') : undefined;
      const params = parsePart(r.params, ctx.params, 'path');
      const query = parsePart(r.query, { ...ctx.query }, 'query');
      const body = r.bodyFormat === 'csv' ? { value: rawBody, errors: [] } : parsePart(r.body, rawBody, '');
      const errors = [...params.errors, ...query.errors, ...body.errors];
      if (errors.length) throw new ValidationError(errors);
      await r.handler(ctx, { params: params.value, query: query.value, body: body.value, caller });
    });
  }
}

export const uuidParams = z.object({ id: z.string().describe('The resource id') });
