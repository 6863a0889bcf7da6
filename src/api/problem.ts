import type { Context } from 'koa';

/** An HTTP failure answered as RFC 7807 `application/problem+json`. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export function sendProblem(ctx: Context, status: number, title: string, detail: string, extra: Record<string, unknown> = {}): void {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = problemBody(status, title, detail, ctx.path, extra);
}

/** The body alone, for answers written where there is no Koa context (see http-server.ts). */
export function problemBody(status: number, title: string, detail: string, instance: string, extra: Record<string, unknown> = {}) {
  return {
    type: `urn:diemcau:problem:${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    title,
    status,
    detail,
    instance,
    ...extra,
  };
}
