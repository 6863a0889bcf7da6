import type { Middleware } from 'koa';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../../errors';
import type { Logger } from '../../log';
import { HttpProblem, sendProblem } from '../problem';

/** Every error leaves as problem+json; only bugs are 500, and they are logged with the request. */
export function errors(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendProblem(ctx, 404, 'Not Found', `no route for ${ctx.method} ${ctx.path}`);
      } else if (ctx.status === 405 && !(ctx.body && typeof ctx.body === 'object')) {
        sendProblem(ctx, 405, 'Method Not Allowed', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (err) {
      if (err instanceof HttpProblem) {
        ctx.set(err.headers);
        sendProblem(ctx, err.status, err.title, err.message, err.extra);
      } else if (err instanceof ValidationError) {
        sendProblem(ctx, 422, 'Validation Failed', err.message, { errors: err.errors });
      } else if (err instanceof NotFoundError) {
        sendProblem(ctx, 404, 'Not Found', err.message);
      } else if (err instanceof ConflictError) {
        sendProblem(ctx, 409, 'Conflict', err.message, err.extra);
      } else if (err instanceof InvalidStateError) {
        sendProblem(ctx, 409, 'Invalid State', err.message);
      } else {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
        sendProblem(ctx, 500, 'Internal Server Error', 'the server failed; the error was logged');
      }
    }
  };
}
