import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { Participations } from '../../src/meetings/participations';
import { migratedDataSource } from '../support/db';

describe('participation records', () => {
  it('are closed once, and those a crashed process left open end at their last heartbeat', async () => {
    const { ds } = await migratedDataSource();
    try {
      const start = new Date(Date.now() - 3600_000);
      const { meeting } = await new MeetingBook(ds, { min: 2000, max: 2099 }).create(
        {
          title: 'Họp',
          roomNumber: 2001,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 7200_000).toISOString(),
          invitedSites: [],
          dialOut: false,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      );
      const records = new Participations(ds);
      const open = (callId: string, mediaServer: string) =>
        records.open({
          meetingId: meeting.id,
          siteId: null,
          displayName: callId,
          callId,
          source: '10.0.0.1:5060',
          protocol: 'sip',
          direction: 'in',
          audioCodec: 'PCMU',
          videoCodec: null,
          moderator: false,
          mediaServer,
          memberId: 1,
          sipDialog: `dialog-of-${callId}`,
        });
      const gone = await open('on-a-server-no-longer-configured', '10.9.9.9:8021');
      const kept = await open('on-a-configured-server', '127.0.0.1:8021');
      const closedTwice = await open('closed-twice', '127.0.0.1:8021');
      await ds.query(`UPDATE participation SET last_seen_at = joined_at + interval '10 minutes', joined_at = joined_at - interval '5 minutes' WHERE id = $1`, [
        gone,
      ]);

      await records.close(closedTwice, 'caller-hangup');
      await records.close(closedTwice, 'kicked');
      assert.equal(await records.closeDangling(['127.0.0.1:8021']), 1, 'only the one whose server cannot be checked');
      const rows = (await ds.query(`SELECT id, end_reason, left_at - joined_at AS span FROM participation ORDER BY display_name`)) as {
        id: string;
        end_reason: string | null;
        span: { minutes?: number } | null;
      }[];
      const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
      assert.equal(byId[closedTwice]!.end_reason, 'caller-hangup', 'the first end is kept');
      assert.equal(byId[gone]!.end_reason, 'crash');
      assert.equal(byId[gone]!.span?.minutes, 15, 'ended at its last heartbeat, not at restart');
      assert.equal(byId[kept]!.end_reason, null, 'left for the media server check');
      const [left] = await records.openOn('127.0.0.1:8021');
      assert.equal(left?.sipDialog, 'dialog-of-on-a-configured-server', 'what the next process ends the caller\u2019s dialog with');
    } finally {
      await ds.destroy();
    }
  });
});
