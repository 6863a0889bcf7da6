import assert from 'node:assert/strict';
import { InsufficientStorageError, Recorder } from '../../src/calls/recorder';
import { loadConfig } from '../../src/config/env';
import { parseRecordingList } from '../../src/media/freeswitch/conference';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { MeetingEvents, type MeetingEvent } from '../../src/meetings/meeting-events';
import { silentLogger } from '../../src/log';
import { parseByteRange } from '../../src/recordings/byte-range';
import type { Recording, RecordingFormat } from '../../src/recordings/recording-store';
import { expiredRecordings, retentionCutoff } from '../../src/recordings/retention';
import { FakeConference } from '../support/fake-media';

describe('byte ranges of a download', () => {
  it('answers the whole file without a usable Range header', () => {
    for (const h of [undefined, '', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=5-2', 'bytes=0-1,4-5', 'bytes=a-b', 'bytes=0x10-']) {
      assert.equal(parseByteRange(h, 1000), null, String(h));
    }
  });

  it('reads first-last, open-ended and suffix ranges, clipped to the file', () => {
    assert.deepEqual(parseByteRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseByteRange('bytes=900-', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseByteRange('bytes=900-5000', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseByteRange('bytes=-100', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseByteRange('bytes=-5000', 1000), { start: 0, end: 999 });
    assert.deepEqual(parseByteRange('Bytes=10-10', 1000), { start: 10, end: 10 });
  });

  it('calls a range past the end unsatisfiable (416)', () => {
    assert.equal(parseByteRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=2000-3000', 1000), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=-0', 1000), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=0-', 0), 'unsatisfiable');
  });
});

describe('recording retention', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  const rows = [
    { id: 'old', startedAt: daysAgo(40), endedAt: daysAgo(39) },
    { id: 'edge', startedAt: daysAgo(31), endedAt: daysAgo(30) },
    { id: 'recent', startedAt: daysAgo(31), endedAt: daysAgo(29) },
    { id: 'never-closed-old', startedAt: daysAgo(35), endedAt: null },
    { id: 'never-closed-new', startedAt: daysAgo(1), endedAt: null },
  ];

  it('selects what ended (or, never closed, started) longer ago than the period', () => {
    assert.deepEqual(
      expiredRecordings(rows, now, 30).map((r) => r.id),
      ['old', 'never-closed-old'],
    );
    assert.deepEqual(
      expiredRecordings(rows, now, 1).map((r) => r.id),
      ['old', 'edge', 'recent', 'never-closed-old'],
    );
  });

  it('keeps everything when the period is 0', () => {
    assert.deepEqual(expiredRecordings(rows, now, 0), []);
    assert.equal(retentionCutoff(now, 0), null);
    assert.deepEqual(retentionCutoff(now, 30), daysAgo(30));
  });
});

describe('recording configuration', () => {
  it('defaults to DATA_DIR/recordings, a year, 1 GiB free', () => {
    const c = loadConfig({ DATA_DIR: '/var/lib/diemcau' });
    assert.deepEqual(c.recordings, { dir: '/var/lib/diemcau/recordings', retentionDays: 365, minFreeBytes: 1024 * 1048576 });
  });

  it('takes the directory absolute and refuses nonsense', () => {
    assert.equal(loadConfig({ RECORDINGS_DIR: 'rec' }).recordings.dir, `${process.cwd()}/rec`);
    assert.throws(() => loadConfig({ RECORDING_RETENTION_DAYS: '-1', RECORDING_MIN_FREE_MB: '0' }), /RECORDING_RETENTION_DAYS[\s\S]*RECORDING_MIN_FREE_MB/);
  });
});

describe('conference chkrecord', () => {
  it('lists the files being written', () => {
    // as FreeSWITCH 1.10 answers (the file handle's parameters before the path)
    assert.deepEqual(parseRecordingList('+OK Record file {video_time_audio=false,channels=1,samplerate=48000,vw=1280,vh=720,fps=30.30}/tmp/rec/f0ca.wav\n'), [
      '/tmp/rec/f0ca.wav',
    ]);
    assert.deepEqual(parseRecordingList('+OK Record file /rec/a.wav\nRecord file {x=1}/rec/b.mp4\n'), ['/rec/a.wav', '/rec/b.mp4']);
    assert.deepEqual(parseRecordingList('Conference diemcau-x is not being recorded.\n'), []);
    assert.deepEqual(parseRecordingList('-ERR Conference diemcau-x not found\n'), []);
  });
});

/** In-memory store and calls around the Recorder, with the conference commands it sends. */
function harness(opts: { freeBytes?: number; video?: boolean } = {}) {
  const events = new MeetingEvents();
  const seen: MeetingEvent[] = [];
  events.subscribe('*', (e) => seen.push(e));
  const conference = new FakeConference();
  const rows = new Map<string, Recording>();
  let n = 0;
  const inMeeting: { participationId: string; memberId: number; codecs: { audio: string | null; video: string | null } }[] = [];
  const store = {
    pathOf: (r: Pick<Recording, 'fileName'>) => `/rec/${r.fileName}`,
    freeBytes: async () => opts.freeBytes ?? 10 * 1048576 * 1024,
    begin: async (meetingId: string, format: RecordingFormat) => {
      const id = `r${++n}`;
      const r: Recording = { id, meetingId, fileName: `${id}.${format}`, format, startedAt: new Date(), endedAt: null, sizeBytes: null, sha256: null };
      rows.set(id, r);
      return r;
    },
    finish: async (id: string) => {
      const r = { ...rows.get(id)!, endedAt: new Date(), sizeBytes: 0 };
      rows.set(id, r);
      return r;
    },
    unfinished: async () => [...rows.values()].filter((r) => r.endedAt === null).map((r) => ({ ...r, language: 'vi' as const })),
    remove: async (id: string) => {
      const r = rows.get(id)!;
      rows.delete(id);
      return r;
    },
  };
  const calls = {
    inMeeting: () => inMeeting as never,
    mediaServerOf: () => (inMeeting.length ? 'fs1' : undefined),
  };
  const recorder = new Recorder(
    calls,
    { control: () => conference },
    store,
    events,
    { soundsDir: '/snd', minFreeBytes: 1048576, closeTimeoutMs: 1000 },
    silentLogger,
  );
  const join = () => {
    const memberId = inMeeting.length + 1;
    inMeeting.push({ participationId: `p${memberId}`, memberId, codecs: { audio: 'PCMU', video: opts.video ? 'H264' : null } });
    events.publish(meeting.id, {
      type: 'participant.joined',
      participant: { id: `p${memberId}`, name: 'x', siteId: null, protocol: 'sip', direction: 'in', moderator: false },
    });
  };
  const leaveAll = () => {
    inMeeting.length = 0;
    conference.recording.clear(); // the conference is gone, and its recordings with it
    events.publish(meeting.id, { type: 'participant.left', participantId: 'p', name: 'x', siteId: null, reason: 'caller-hangup' });
  };
  return { recorder, conference, rows, seen, join, leaveAll };
}

const meeting = { id: 'm1', language: 'en', record: true } as Meeting;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('Recorder', () => {
  it('records with the first participant, plays the notice after the recorder started, and says so', async () => {
    const h = harness();
    await h.recorder.wantFromBooking(meeting);
    assert.deepEqual(h.conference.commands, [], 'nobody in: no conference to record yet');
    h.join();
    await settle();
    assert.deepEqual(h.conference.commands, ['record m1 /rec/r1.wav', 'play m1 /snd/diemcau/en/recording-started.wav']);
    assert.deepEqual(
      h.seen.filter((e) => e.type.startsWith('recording.')).map((e) => e.type),
      ['recording.started'],
    );
    h.join();
    await settle();
    assert.equal(h.conference.commands[2], 'play m1 /snd/diemcau/en/recording-started.wav to 2', 'who joins later hears it alone');
    assert.equal(h.conference.commands.length, 3);
    h.recorder.close();
  });

  it('records MP4 when somebody sends video', async () => {
    const h = harness({ video: true });
    h.join();
    await h.recorder.start(meeting);
    assert.equal(h.conference.commands[0], 'record m1 /rec/r1.mp4');
    h.recorder.close();
  });

  it('stop then start makes two files; stopping at the end twice is a no-op', async () => {
    const h = harness();
    h.join();
    await h.recorder.start(meeting);
    await assert.rejects(h.recorder.start(meeting), /already being recorded/);
    const first = await h.recorder.stop(meeting.id);
    assert.equal(first?.id, 'r1');
    assert.ok(first?.endedAt);
    await assert.rejects(h.recorder.stop(meeting.id), /not being recorded/);
    await h.recorder.start(meeting);
    await Promise.all([h.recorder.meetingEnded(meeting.id), h.recorder.meetingEnded(meeting.id)]);
    await h.recorder.meetingEnded(meeting.id);
    assert.deepEqual(
      h.conference.commands.filter((c) => /^(no)?record /.test(c)),
      ['record m1 /rec/r1.wav', 'norecord m1 /rec/r1.wav', 'record m1 /rec/r2.wav', 'norecord m1 /rec/r2.wav'],
    );
    assert.deepEqual(
      [...h.rows.values()].map((r) => [r.id, r.endedAt !== null]),
      [
        ['r1', true],
        ['r2', true],
      ],
    );
    assert.equal(h.conference.recording.size, 0, 'nothing left recording');
    assert.deepEqual(h.recorder.state(meeting.id), { wanted: false, current: null });
    h.recorder.close();
  });

  it('closes the file when the conference empties and starts a new one when somebody comes back', async () => {
    const h = harness();
    h.join();
    await h.recorder.start(meeting);
    h.leaveAll();
    await settle();
    assert.equal(h.rows.get('r1')?.endedAt instanceof Date, true);
    h.join();
    await settle();
    assert.equal(h.recorder.state(meeting.id).current?.id, 'r2');
    await h.recorder.meetingEnded(meeting.id);
    h.recorder.close();
  });

  it('takes over a recording a previous process left running in the conference, and stops it as its own', async () => {
    const previous = harness();
    previous.join();
    await previous.recorder.start(meeting);
    previous.recorder.close(); // the process stops; FreeSWITCH goes on writing r1
    const next = harness();
    for (const [id, row] of previous.rows) next.rows.set(id, row);
    for (const file of previous.conference.recording) next.conference.recording.add(file);
    next.join();
    assert.equal(await next.recorder.adopt('fs1'), 1);
    assert.equal(next.recorder.state(meeting.id).current?.id, 'r1');
    assert.deepEqual(next.recorder.owned(), new Set(['r1']));
    await next.recorder.meetingEnded(meeting.id);
    assert.ok(next.conference.commands.includes('norecord m1 /rec/r1.wav'));
    assert.ok(next.rows.get('r1')?.endedAt);
    assert.equal(await next.recorder.adopt('fs1'), 0, 'nothing left to take over');
    next.recorder.close();
  });

  it('goes on with the file the conference still writes when the booking asks again before the take-over', async () => {
    const previous = harness();
    previous.join();
    await previous.recorder.start(meeting);
    previous.recorder.close();
    const next = harness();
    for (const [id, row] of previous.rows) next.rows.set(id, row);
    for (const file of previous.conference.recording) next.conference.recording.add(file);
    next.join();
    await next.recorder.wantFromBooking(meeting);
    assert.equal(next.recorder.state(meeting.id).current?.id, 'r1', 'no second file');
    assert.deepEqual(
      next.conference.commands.filter((c) => c.startsWith('record ')),
      [],
    );
    assert.equal(await next.recorder.adopt('fs1'), 0);
    await next.recorder.meetingEnded(meeting.id);
    next.recorder.close();
  });

  it('refuses to start when the recordings directory is short of space, naming free and needed', async () => {
    const h = harness({ freeBytes: 1000 });
    h.join();
    await assert.rejects(h.recorder.start(meeting), (err: unknown) => {
      assert.ok(err instanceof InsufficientStorageError);
      assert.equal(err.freeBytes, 1000);
      assert.equal(err.neededBytes, 1048576);
      assert.match(err.message, /only 0 MiB free .* needs at least 1 MiB/);
      return true;
    });
    assert.deepEqual(h.conference.commands, []);
    assert.deepEqual(h.recorder.state(meeting.id), { wanted: false, current: null });
    h.recorder.close();
  });
});
