import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { MeetingEvent, MeetingEvents } from '../meetings/meeting-events';

/**
 * Answers with a Server-Sent Events stream of one meeting's events, opened by a `hello` message,
 * until the client leaves. `pick` says what of an event is sent: all of it by default, null to
 * send nothing.
 */
export function streamMeetingEvents(
  ctx: Context,
  events: MeetingEvents,
  meetingId: string,
  hello: Record<string, unknown>,
  pick: (e: MeetingEvent) => object | null = (e) => e,
): void {
  const stream = new PassThrough();
  const send = (e: MeetingEvent) => {
    const data = pick(e);
    if (data) stream.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
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
