import type { Context } from 'koa';
import type Router from '@koa/router';
import { z } from 'zod';
import type { Permission } from '../access/permissions';
import { unstorableText } from '../db/values';
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
  /** A multipart/form-data file upload the handler reads itself (see multipart.ts); documents the file part. */
  upload?: { field: string; description: string };
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
  upload?: { field: string; description: string };
  responses: Record<number, ResponseSpec>;
  handler: (ctx: Context, input: RouteInput<unknown, unknown, unknown>) => Promise<void> | void;
}

export function route<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<P, Q, B>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

const fieldName = (prefix: string | undefined, path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || 'body';

export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: fieldName(prefix, [...i.path, k]), message: 'unknown field' }))
      : [{ field: fieldName(prefix, i.path), message: i.message }],
  );
}

/** Enough to fix a request by; a body of thousands of bad strings need not be answered with each. */
const MAX_UNSTORABLE_REPORTED = 50;

/**
 * Every string, and every object key, in a request part that PostgreSQL could not store as sent
 * (see `unstorableText`), whatever the schema says of it: no route has to remember to forbid them.
 * Walks with its own stack and parent links, so a deeply nested body costs neither the call stack
 * nor a copy of the path per node.
 */
function unstorableFields(value: unknown, prefix: string): FieldError[] {
  interface Node {
    value: unknown;
    key: string | undefined;
    parent: Node | undefined;
  }
  const pathOf = (node: Node, key?: string): string[] => {
    const path = key === undefined ? [] : [key];
    for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
    return path;
  };
  const errors: FieldError[] = [];
  const stack: Node[] = [{ value, key: undefined, parent: undefined }];
  for (let node = stack.pop(); node && errors.length < MAX_UNSTORABLE_REPORTED; node = stack.pop()) {
    if (typeof node.value === 'string') {
      const message = unstorableText(node.value);
      if (message) errors.push({ field: fieldName(prefix, pathOf(node)), message });
    } else if (node.value !== null && typeof node.value === 'object') {
      for (const [key, child] of Object.entries(node.value)) {
        const message = unstorableText(key);
        if (message) errors.push({ field: fieldName(prefix, pathOf(node, key)), message: `its name ${message}` });
        stack.push({ value: child, key, parent: node });
      }
    }
  }
  return errors;
}

function parsePart(schema: z.ZodType | undefined, value: unknown, prefix: string): { value: unknown; errors: FieldError[] } {
  if (!schema) return { value: undefined, errors: [] };
  const unstorable = unstorableFields(value, prefix);
  const r = schema.safeParse(value);
  if (r.success && !unstorable.length) return { value: r.data, errors: [] };
  // A field is named once: for the text it cannot store, not again for the pattern that text breaks.
  const named = new Set(unstorable.map((e) => e.field));
  const invalid = r.success ? [] : fieldErrors(r.error, prefix).filter((e) => !named.has(e.field));
  return { value: undefined, errors: [...unstorable, ...invalid] };
}

/**
 * Mounts routes on a router: authorize → read body → validate → handler. A CSV body is handed over
 * as text: its importer validates it line by line, so that errors name lines.
 */
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
