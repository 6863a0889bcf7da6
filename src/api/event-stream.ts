import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { MeetingEvent, MeetingEvents } from '../meetings/meeting-events';

/**
 * Answers with a Server-Sent Events stream of one meeting's events (those `pick` keeps), opened by
 * a `hello` message, until the client leaves.
 */
export function streamMeetingEvents(
  ctx: Context,
  events: MeetingEvents,
  meetingId: string,
  hello: Record<string, unknown>,
  pick: (e: MeetingEvent) => boolean = () => true,
): void {
  const stream = new PassThrough();
  const send = (e: MeetingEvent) => {
    if (pick(e)) stream.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  };
  const unsubscribe = events.subscribe(meetingId, send);
  // A comment every 15 s keeps proxies from closing an idle stream.
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
  const stop = () => {
    clearInterval(keepAlive);
    unsubscribe();
    stream.end();
  };
  ctx.req.once('close', stop);
  ctx.set({ 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  ctx.type = 'text/event-stream';
  ctx.status = 200;
  stream.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`);
  ctx.body = stream;
}
