import type { MeetingEventBody } from '../../src/meetings/meeting-events';
import { TestApi } from '../../test/support/api';
import { seedLiveMeeting } from '../../test/support/live-meeting';
import { startPostgres } from './harness';

/**
 * The server side of bench/console-live.ts, in a process of its own so that its memory is the
 * API's and the streams', not Chromium's driver's: the real API on the test PostgreSQL serving the
 * console built in CONSOLE_DIR, with a live meeting of SITES invited sites. Driven over IPC:
 * `publish` (events, paced), `memory` (after a full GC, or without one) and `stop`.
 */

export type ServerRequest =
  | { kind: 'publish'; events: MeetingEventBody[]; batch: number; everyMs: number }
  | { kind: 'memory'; gc: boolean }
  | { kind: 'stop' };

export interface ServerReady {
  kind: 'ready';
  base: string;
  meetingId: string;
  siteIds: string[];
  viewerKey: string;
  operator: { username: string; password: string };
}

export interface Memory {
  heapUsed: number;
  rss: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const pg = await startPostgres();
  const api = await TestApi.start({ deps: () => ({ consolePageDir: process.env['CONSOLE_DIR']! }) });
  const meeting = await seedLiveMeeting(api, Number(process.env['SITES'] ?? 300));
  const operator = { username: 'bench-operator', password: 'mat-khau-bench-2026' };
  const made = await api.request('POST', '/api/v1/operators', { json: { ...operator, name: 'Cán bộ điều hành', role: 'operator' } });
  if (made.status !== 201) throw new Error(made.text);
  const memory = (): Memory => {
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss };
  };
  process.on('message', async (req: ServerRequest) => {
    switch (req.kind) {
      case 'publish': {
        // The most memory the process held while the events went out.
        let peak = memory();
        for (let i = 0; i < req.events.length; i += req.batch) {
          for (const e of req.events.slice(i, i + req.batch)) meeting.publish(e);
          await sleep(req.everyMs);
          const m = memory();
          if (m.rss > peak.rss) peak = { ...peak, rss: m.rss };
          if (m.heapUsed > peak.heapUsed) peak = { ...peak, heapUsed: m.heapUsed };
        }
        process.send!({ kind: 'published', peak });
        break;
      }
      case 'memory':
        if (req.gc) {
          global.gc!();
          await sleep(100);
          global.gc!();
        }
        process.send!({ kind: 'memory', memory: memory() });
        break;
      case 'stop':
        api.server.closeAllConnections();
        await api.close();
        await pg.stop();
        process.exit(0);
    }
  });
  const ready: ServerReady = { kind: 'ready', base: api.base, meetingId: meeting.meetingId, siteIds: meeting.siteIds, viewerKey: api.tokens.viewer, operator };
  process.send!(ready);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
