import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { InsufficientStorageError, type Recorder } from '../../src/calls/recorder';
import { RecordingStore } from '../../src/recordings/recording-store';
import { TestApi } from '../support/api';

/** A recorder that refuses for lack of space (`refuse`), or records nothing but says it does. */
function fakeRecorder(): Pick<Recorder, 'start' | 'stop' | 'state'> & { started: string[]; refuse: boolean } {
  const started: string[] = [];
  return {
    started,
    refuse: true,
    async start(meeting: Meeting) {
      if (this.refuse) throw new InsufficientStorageError(5 * 1048576, 1024 * 1048576);
      started.push(meeting.id);
      return { wanted: true, current: null };
    },
    async stop() {
      return null;
    },
    state: (id: string) => ({ wanted: started.includes(id), current: null }),
  };
}

describe('API: recordings', function () {
  this.timeout(60_000);
  let api: TestApi;
  let meetingId: string;
  /** 1000 bytes, each position recognisable: "0123456789" repeated. */
  const content = '0123456789'.repeat(100);

  before(async () => {
    api = await TestApi.start();
    const start = new Date(Date.now() - 10 * 60_000);
    const booked = await api.request('POST', '/api/v1/meetings', {
      json: { title: 'Họp HĐND', roomNumber: 2071, record: true, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    assert.equal(booked.status, 201, booked.text);
    assert.equal(booked.body.record, true);
    meetingId = booked.body.id;
  });
  after(async () => api?.close());

  /** A closed recording of the meeting with `content` on disk, as the recorder leaves one. */
  async function recorded(text = content) {
    const rec = await api.recordings.begin(meetingId, 'wav');
    writeFileSync(api.recordings.pathOf(rec), text);
    return api.recordings.finish(rec.id);
  }

  it('books and changes the record flag (default off)', async () => {
    const start = new Date(Date.now() + 86_400_000);
    const booked = await api.request('POST', '/api/v1/meetings', {
      json: { title: 'Không ghi', roomNumber: 2072, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
    });
    assert.equal(booked.body.record, false);
    const changed = await api.request('PATCH', `/api/v1/meetings/${booked.body.id}`, { json: { record: true } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.record, true);
  });

  it('lists a meeting\u2019s recordings with size and checksum, to a viewer', async () => {
    const rec = await recorded();
    const list = await api.request('GET', `/api/v1/meetings/${meetingId}/recordings`, { key: api.tokens.viewer });
    assert.equal(list.status, 200, list.text);
    const item = list.body.items.find((i: { id: string }) => i.id === rec.id);
    assert.equal(item.sizeBytes, 1000);
    assert.match(item.sha256, /^[0-9a-f]{64}$/);
    assert.equal(item.format, 'wav');
    assert.equal(item.contentType, 'audio/wav');
    assert.equal(item.href, `/api/v1/recordings/${rec.id}/file`);
    assert.equal(list.body.recording, false);
    assert.equal((await api.request('GET', '/api/v1/meetings/7d9c0d55-0000-4000-8000-000000000000/recordings')).status, 404);
  });

  it('downloads the whole file or a range of it (viewer), and refuses a range past the end', async () => {
    const rec = await recorded();
    const path = `/api/v1/recordings/${rec.id}/file`;
    const whole = await api.request('GET', path, { key: api.tokens.viewer });
    assert.equal(whole.status, 200);
    assert.equal(whole.text, content);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.equal(whole.headers.get('content-type'), 'audio/wav');
    assert.equal(whole.headers.get('content-length'), '1000');
    assert.match(whole.headers.get('content-disposition') ?? '', /^attachment; filename="recording-\d{8}T\d{4}Z-[0-9a-f]{8}\.wav"$/);
    assert.equal(whole.headers.get('etag'), `"${rec.sha256}"`);

    const part = await api.request('GET', path, { key: api.tokens.viewer, headers: { range: 'bytes=15-24' } });
    assert.equal(part.status, 206);
    assert.equal(part.text, '5678901234');
    assert.equal(part.headers.get('content-range'), 'bytes 15-24/1000');
    assert.equal(part.headers.get('content-length'), '10');

    const tail = await api.request('GET', path, { key: api.tokens.viewer, headers: { range: 'bytes=-3' } });
    assert.equal(tail.status, 206);
    assert.equal(tail.text, '789');
    assert.equal(tail.headers.get('content-range'), 'bytes 997-999/1000');

    const past = await api.request('GET', path, { key: api.tokens.viewer, headers: { range: 'bytes=1000-' } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), 'bytes */1000');
    assert.equal(past.headers.get('content-type'), 'application/problem+json');

    assert.equal((await api.request('GET', path, { key: null })).status, 401);
    assert.equal((await api.request('GET', '/api/v1/recordings/not-a-uuid/file')).status, 404);
  });

  it('answers 404, not 500, when the file has gone from the directory', async () => {
    const rec = await recorded();
    const { rmSync } = await import('node:fs');
    rmSync(api.recordings.pathOf(rec));
    const res = await api.request('GET', `/api/v1/recordings/${rec.id}/file`);
    assert.equal(res.status, 404);
    assert.match(res.body.detail, /missing/);
  });

  it('lets operators delete a recording (file and row, audited), not viewers', async () => {
    const rec = await recorded();
    const file = api.recordings.pathOf(rec);
    const denied = await api.request('DELETE', `/api/v1/recordings/${rec.id}`, { key: api.tokens.viewer });
    assert.equal(denied.status, 403);
    assert.ok(existsSync(file), 'a refused delete leaves the file');
    const gone = await api.request('DELETE', `/api/v1/recordings/${rec.id}`, { key: api.tokens.operator });
    assert.equal(gone.status, 204, gone.text);
    assert.ok(!existsSync(file));
    assert.deepEqual(await api.ds.query(`SELECT id FROM recording WHERE id = $1`, [rec.id]), []);
    const [audit] = await api.ds.query(`SELECT action, detail FROM audit_event WHERE resource_id = $1`, [rec.id]);
    assert.equal(audit.action, 'recording.delete');
    assert.equal(audit.detail.sha256, rec.sha256);
    assert.equal((await api.request('DELETE', `/api/v1/recordings/${rec.id}`, { key: api.tokens.operator })).status, 404);
  });

  it('deletes files and rows older than the retention period, and only those', async () => {
    const old = await recorded();
    const fresh = await recorded();
    await api.ds.query(`UPDATE recording SET started_at = now() - interval '41 days', ended_at = now() - interval '40 days' WHERE id = $1`, [old.id]);
    const deleted = await api.recordings.removeExpired(new Date(), 30);
    assert.deepEqual(
      deleted.map((r) => r.id),
      [old.id],
    );
    assert.ok(!existsSync(api.recordings.pathOf(old)));
    assert.ok(existsSync(api.recordings.pathOf(fresh)));
    assert.deepEqual(await api.ds.query(`SELECT id FROM recording WHERE id = $1`, [old.id]), []);
  });

  it('completes the rows a previous process left open once their file is no longer written, not the recorder’s own', async () => {
    const left = await api.recordings.begin(meetingId, 'wav');
    writeFileSync(api.recordings.pathOf(left), 'half a recording');
    const owned = await api.recordings.begin(meetingId, 'wav');
    const later = new Date(Date.now() + 30_000);
    assert.deepEqual(await api.recordings.finishDangling(60_000, new Set(), later), [], 'written 30 s ago: FreeSWITCH may still be recording it');
    const done = await api.recordings.finishDangling(60_000, new Set([owned.id]), new Date(Date.now() + 61_000));
    assert.deepEqual(
      done.map((r) => r.id),
      [left.id],
    );
    assert.equal(done[0]!.sizeBytes, 16);
    assert.ok(done[0]!.endedAt! <= new Date(), 'ends when the file was last written');
    assert.deepEqual(
      (await api.recordings.unfinished()).map((r) => [r.id, r.language]),
      [[owned.id, 'vi']],
    );
    await api.recordings.remove(owned.id);
  });

  it('exposes the free bytes of the recordings directory in /metrics', async () => {
    const res = await api.request('GET', '/metrics', { key: null });
    const m = /^diemcau_recordings_free_bytes (\d+(\.\d+)?(e\+\d+)?)$/m.exec(res.text);
    assert.ok(m, res.text.slice(0, 300));
    assert.ok(Number(m[1]) > 0);
  });

  describe('start and stop on a live meeting', () => {
    it('refuses a meeting that is not live (409), and answers 503 without SIP', async () => {
      const res = await api.request('POST', `/api/v1/meetings/${meetingId}/recording/start`, { key: api.tokens.operator });
      assert.equal(res.status, 409);
      assert.match(res.body.detail, /not live/);
      await api.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [meetingId]);
      const noSip = await api.request('POST', `/api/v1/meetings/${meetingId}/recording/start`, { key: api.tokens.operator });
      assert.equal(noSip.status, 503);
    });

    it('refuses with 507 naming free and needed space; viewers may not start', async () => {
      const recorder = fakeRecorder();
      const full = await TestApi.start({ deps: (ds) => ({ recordings: { store: new RecordingStore(ds, api.recordings.dir), recorder } }) });
      try {
        const start = new Date(Date.now() - 60_000);
        const booked = await full.request('POST', '/api/v1/meetings', {
          json: { title: 'Đầy đĩa', roomNumber: 2073, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() },
        });
        await full.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [booked.body.id]);
        const url = `/api/v1/meetings/${booked.body.id}/recording/start`;
        assert.equal((await full.request('POST', url, { key: full.tokens.viewer })).status, 403);
        const res = await full.request('POST', url, { key: full.tokens.operator });
        assert.equal(res.status, 507, res.text);
        assert.equal(res.body.title, 'Insufficient Storage');
        assert.match(res.body.detail, /only 5 MiB free .* needs at least 1024 MiB/);
        assert.equal(res.body.freeBytes, 5 * 1048576);
        assert.equal(res.body.neededBytes, 1024 * 1048576);

        recorder.refuse = false;
        const ok = await full.request('POST', url, { key: full.tokens.operator });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(ok.body, { recording: true, current: null });
        const listed = await full.request('GET', `/api/v1/meetings/${booked.body.id}/recordings`, { key: full.tokens.viewer });
        assert.equal(listed.body.recording, true);
        const stop = await full.request('POST', `/api/v1/meetings/${booked.body.id}/recording/stop`, { key: full.tokens.operator });
        assert.equal(stop.status, 200, stop.text);
        const audited = await full.ds.query(`SELECT action FROM audit_event WHERE resource_id = $1 ORDER BY id`, [booked.body.id]);
        assert.deepEqual(
          audited.map((a: { action: string }) => a.action).filter((a: string) => a.startsWith('meeting.recording')),
          ['meeting.recording-start', 'meeting.recording-stop'],
        );
      } finally {
        await full.close();
      }
    });
  });
});
