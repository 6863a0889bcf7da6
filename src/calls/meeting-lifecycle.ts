import type { Registrations } from '../directory/registrations';
import { promptPath } from '../media/prompts/catalog';
import type { Invitations } from '../meetings/invitations';
import type { ReadinessChecks, ReadinessResult } from '../meetings/readiness-checks';
import type { MeetingLifecycle } from '../meetings/scheduler';
import type { Dialer } from './dial-out/dialer';
import type { CallEngine } from './engine';
import type { Recorder } from './recorder';

export interface CallLifecycleDeps {
  engine: CallEngine;
  dialer: Dialer;
  recorder: Pick<Recorder, 'wantFromBooking' | 'meetingEnded'>;
  registrations: Registrations;
  invitations: Invitations;
  readiness: ReadinessChecks;
  /** Asks a SIP address whether it answers (OPTIONS). */
  ping(uri: string): Promise<ReadinessResult>;
  soundsDir: string;
}

/** What the scheduler asks of the calls at each point of a meeting's life. */
export function callLifecycle(deps: CallLifecycleDeps): MeetingLifecycle {
  const { engine, dialer, recorder } = deps;
  return {
    live: async (meeting) => {
      await recorder.wantFromBooking(meeting);
      // After a restart or a take-over the calls still in FreeSWITCH must be known before anyone is
      // dialled: a site already in would be called a second time.
      await engine.reconciled();
      if (meeting.dialOut) await dialer.start(meeting);
    },
    ending: async (meeting) => {
      const file = promptPath(deps.soundsDir, meeting.language, 'meeting-ending');
      if (engine.calls.inMeeting(meeting.id).length) await engine.live.announce(meeting.id, file);
    },
    ended: async (meeting) => {
      dialer.stop(meeting.id);
      // Before the calls: the file is closed and registered while the conference still exists.
      await recorder.meetingEnded(meeting.id);
      // The presentation ends as 'ended', not as each presenter leaving.
      await engine.content.end(meeting.id);
      await engine.live.endCalls(meeting.id);
      // Its calls have gone, and with the last one on each node the links: wait for them to close.
      await engine.cascade?.end(meeting.id);
      engine.calls.setLocked(meeting.id, false);
    },
    readiness: async (meeting) => {
      const sites = await deps.invitations.enabledSites(meeting.id);
      await Promise.all(
        sites.map(async (site) => {
          const [binding] = await deps.registrations.current(site.id);
          const target = binding?.contact ?? site.sipUri;
          const result = target ? await deps.ping(target) : { reachable: false, latencyMs: null, status: null, detail: 'no SIP address and not registered' };
          await deps.readiness.record(meeting.id, site.id, target ?? '', result);
          engine.events.publish(meeting.id, {
            type: 'readiness',
            siteId: site.id,
            reachable: result.reachable,
            latencyMs: result.latencyMs,
            sipStatus: result.status,
          });
        }),
      );
    },
  };
}
