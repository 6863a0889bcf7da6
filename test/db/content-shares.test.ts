import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { cliActor } from '../../src/audit/audit';
import type { Presenter } from '../../src/calls/content/content-control';
import { ContentShares } from '../../src/meetings/content-shares';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { Participations } from '../../src/meetings/participations';
import { migratedDataSource } from '../support/db';

describe('content share records', () => {
  let ds: DataSource;
  let book: MeetingBook;
  let shares: ContentShares;
  const hour = 3600_000;
  const t0 = new Date(Date.now() - hour);

  before(async () => {
    ({ ds } = await migratedDataSource());
    book = new MeetingBook(ds, { min: 2000, max: 2099 });
    shares = new ContentShares(ds);
  });
  after(() => ds.destroy());

  const book1 = async (room: number, contentPolicy?: 'take-over' | 'queue') =>
    (
      await book.create(
        {
          title: 'Họp',
          roomNumber: room,
          startsAt: t0.toISOString(),
          endsAt: new Date(t0.getTime() + 2 * hour).toISOString(),
          invitedSites: [],
          dialOut: false,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
          ...(contentPolicy && { contentPolicy }),
        },
        cliActor,
      )
    ).meeting;
  const presenter = (name: string, since: Date, participantId: string | null = null): Presenter => ({
    participantId,
    name,
    siteId: null,
    protocol: 'sip',
    since,
  });

  it("read the booking's policy: take-over by default, queue when booked so, take-over for a meeting that is gone", async () => {
    const plain = await book1(2001);
    const queued = await book1(2002, 'queue');
    assert.equal(await shares.policy(plain.id), 'take-over');
    assert.equal(await shares.policy(queued.id), 'queue');
    await book.update(queued.id, { contentPolicy: 'take-over' }, cliActor);
    assert.equal(await shares.policy(queued.id), 'take-over');
    assert.equal(await shares.policy('0b6d1d8e-27b5-4f7e-9d0a-6f1f3c1b2a10'), 'take-over');
    assert.equal(await shares.policy('not-a-uuid'), 'take-over');
    await assert.rejects(ds.query(`UPDATE meeting SET content_policy = 'first-come' WHERE id = $1`, [plain.id]), { code: '23514' });
  });

  it('are ended once, listed in order, and keep the presenter when the participation is deleted', async () => {
    const m = await book1(2003);
    const participation = await new Participations(ds).open({
      meetingId: m.id,
      siteId: null,
      displayName: 'Xã Dun',
      callId: 'c1',
      source: '10.0.0.1:5060',
      protocol: 'sip',
      direction: 'in',
      audioCodec: 'PCMU',
      videoCodec: 'H264',
      moderator: false,
      mediaServer: '127.0.0.1:8021',
      memberId: 1,
      sipDialog: null,
    });
    const a = await shares.started(m.id, presenter('Xã Dun', new Date(t0.getTime() + 60_000), participation));
    const b = await shares.started(m.id, { ...presenter('Khách', new Date(t0.getTime() + 120_000)), protocol: 'webrtc' });
    await shares.ended(a, 'taken-over', new Date(t0.getTime() + 120_000));
    await shares.ended(a, 'left', new Date(t0.getTime() + 180_000));
    // An end before the start (clocks of two processes) is clamped, not refused.
    await shares.ended(b, 'released', new Date(t0.getTime()));
    const list = await shares.forMeeting(m.id);
    assert.deepEqual(
      list.map((p) => [p.name, p.protocol, p.participantId, p.endReason, p.endedAt!.getTime() - p.startedAt.getTime()]),
      [
        ['Xã Dun', 'sip', participation, 'taken-over', 60_000],
        ['Khách', 'webrtc', null, 'released', 0],
      ],
    );
    await ds.query(`DELETE FROM participation WHERE id = $1`, [participation]);
    assert.equal((await shares.forMeeting(m.id))[0]!.participantId, null);
    assert.equal((await shares.forMeeting(m.id))[0]!.name, 'Xã Dun');
    assert.deepEqual(await shares.forMeeting('nope'), []);
  });

  it('left open by a dead process end at the meeting end or now, whichever is earlier', async () => {
    const live = await book1(2004);
    const ended = await book1(2005);
    const endedAt = new Date(t0.getTime() + 30 * 60_000);
    await ds.query(`UPDATE meeting SET status = 'ended', ended_at = $2 WHERE id = $1`, [ended.id, endedAt]);
    const inLive = await shares.started(live.id, presenter('A', new Date(t0.getTime() + 60_000)));
    const inEnded = await shares.started(ended.id, presenter('B', new Date(t0.getTime() + 60_000)));
    const done = await shares.started(ended.id, presenter('C', new Date(t0.getTime() + 60_000)));
    await shares.ended(done, 'released', new Date(t0.getTime() + 120_000));
    const now = new Date();
    assert.equal(await shares.closeDangling(now), 2);
    assert.equal(await shares.closeDangling(now), 0, 'a second start finds nothing');
    const rows = (await ds.query(`SELECT id, ended_at, end_reason FROM content_share WHERE id = ANY($1::uuid[])`, [[inLive, inEnded, done]])) as {
      id: string;
      ended_at: Date;
      end_reason: string;
    }[];
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    assert.equal(byId[inLive]!.ended_at.getTime(), now.getTime(), 'still live: now');
    assert.equal(byId[inLive]!.end_reason, 'ended');
    assert.equal(byId[inEnded]!.ended_at.getTime(), endedAt.getTime(), 'ended: when the meeting ended');
    assert.equal(byId[done]!.end_reason, 'released', 'a closed row is left alone');
  });

  it('go with their meeting', async () => {
    const m = await book1(2006);
    await shares.started(m.id, presenter('A', new Date()));
    await ds.query(`DELETE FROM meeting WHERE id = $1`, [m.id]);
    assert.deepEqual(await shares.forMeeting(m.id), []);
  });
});
