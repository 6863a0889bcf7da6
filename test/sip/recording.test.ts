import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Srf from 'drachtio-srf';
import { ApiKeys } from '../../src/access/api-keys';
import { cliActor } from '../../src/audit/audit';
import type { Meeting } from '../../src/meetings/meeting.entity';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { conferenceCommands, parseRecordingList } from '../../src/media/freeswitch/conference';
import { generatePrompts, missingPromptTools } from '../../src/media/prompts/generate';
import { fileDigest } from '../../src/recordings/recording-store';
import { apiClient, startBridgeApi } from '../support/bridge-api';
import { startBridge, startCaller, type TestBridge } from '../support/bridge';
import { findFfmpeg, sdpVideoTarget, sendH264, withH264Video } from '../support/h264-peer';
import { freeEvenPort, goertzel, RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { skipFor } from '../support/skip';
import { requireStack, waitFor } from '../support/stack';

const run = promisify(execFile);
const hour = 3600_000;
const TONE_HZ = 1000;
const RATE = 8000;

/** The file's mixed audio as 8 kHz mono PCM, decoded by ffmpeg. */
async function decode(ffmpeg: string, file: string): Promise<Int16Array> {
  const { stdout } = await run(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 2));
}

/** Share of the power at `freqHz` in the last second of the samples (after the spoken notice). */
function toneShare(samples: Int16Array, freqHz: number): number {
  const tail = samples.subarray(Math.max(0, samples.length - RATE));
  let total = 0;
  for (const s of tail) total += s * s;
  return total > 0 ? Math.min(1, (2 * goertzel(tail, freqHz, RATE)) / tail.length / total) : 0;
}

async function streams(ffprobe: string, file: string): Promise<string[]> {
  const { stdout } = await run(ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n').sort();
}

/**
 * Recording on the real stack: callers send a 1 kHz tone into a live meeting's FreeSWITCH
 * conference; FreeSWITCH writes the file into RECORDINGS_DIR; the bridge registers it; the tone
 * is in the file, its length is the time it was recorded.
 */
describe('Recording a live meeting (FreeSWITCH conference → RECORDINGS_DIR)', function () {
  this.timeout(60_000);
  let bridge: TestBridge;
  let caller: { srf: Srf; stop(): Promise<void> };
  let http: Awaited<ReturnType<typeof startBridgeApi>>;
  let viewer: ReturnType<typeof apiClient>;
  let soundsRoot: string;
  let ffmpeg: string;
  const closers: (() => unknown)[] = [];
  const events: MeetingEvent[] = [];

  before(async function () {
    requireStack(this, 'recording on the real stack');
    const found = findFfmpeg();
    if (!found) skipFor(this, 'recording on the real stack', 'ffmpeg is not installed (it decodes the recorded files)');
    ffmpeg = found;
    if ((await missingPromptTools()).length) skipFor(this, 'recording on the real stack', 'espeak-ng or sox is missing (the recording notice)');
    soundsRoot = mkdtempSync(join(tmpdir(), 'diemcau-sounds-'));
    await generatePrompts(soundsRoot);
    bridge = await startBridge({ env: { SOUNDS_DIR: soundsRoot } });
    caller = await startCaller();
    http = await startBridgeApi(bridge);
    viewer = apiClient(http.base, (await new ApiKeys(bridge.ds).issue('test-viewer', 'viewer', cliActor)).token);
    bridge.calls.engine.events.subscribe('*', (e) => events.push(e));
  });

  after(async () => {
    for (const c of closers.reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => undefined);
    await http?.close();
    await caller?.stop();
    await bridge?.stop();
    if (soundsRoot) rmSync(soundsRoot, { recursive: true, force: true });
  });

  async function liveMeeting(room: number, record: boolean): Promise<Meeting> {
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const start = new Date(Date.now() - hour);
    const { meeting } = await book.create(
      {
        title: `Họp ${room}`,
        roomNumber: room,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3 * hour).toISOString(),
        invitedSites: [],
        dialOut: false,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record,
      },
      cliActor,
    );
    await bridge.ds.query(`UPDATE meeting SET status = 'live', went_live_at = now() WHERE id = $1`, [meeting.id]);
    const live = { ...meeting, status: 'live' as const };
    await bridge.calls.lifecycle.live(live); // what the scheduler does as the meeting goes live
    return live;
  }

  /** A guest dialling in with PCMU sending a 1 kHz tone (silence with `silent`; and H.264 video with `video`). */
  async function toneCaller(room: number, { video = false, silent = false } = {}): Promise<void> {
    const audio = await RtpPeer.open();
    closers.push(() => audio.close());
    const videoPort = video ? await freeEvenPort() : 0;
    const dialog = await caller.srf.createUAC(`sip:${room}@${bridge.target}`, {
      localSdp: video ? withH264Video(audio.sdp(), { port: videoPort, fmtp: 'profile-level-id=42e01f;packetization-mode=1' }) : audio.sdp(),
      headers: { From: '"Xã Ia Pal" <sip:guest@caller.test>', 'User-Agent': 'diemcau-test' },
    });
    closers.push(() => dialog.destroy());
    if (silent) audio.startSilence(sdpAudioTarget(dialog.remote.sdp));
    else audio.startTone(sdpAudioTarget(dialog.remote.sdp), TONE_HZ);
    if (video) {
      const camera: ChildProcess = sendH264(ffmpeg, sdpVideoTarget(dialog.remote.sdp), { localPort: videoPort, payloadType: 96 });
      closers.push(() => camera.kill('SIGKILL'));
    }
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const started = (meetingId: string, n: number) =>
    waitFor(
      `recording ${n} of the meeting to start`,
      async () => (events.filter((e) => e.meetingId === meetingId && e.type === 'recording.started').length >= n ? true : undefined),
      10_000,
      100,
    );
  const writing = async (meetingId: string) => bridge.fs.fsCli(`conference diemcau-${meetingId} chkrecord`);

  it('records a booked meeting from the first caller: the tone is in the file, its length the time recorded; stop/start makes two files; deletion removes file and row', async () => {
    const meeting = await liveMeeting(2101, true);
    await toneCaller(2101);
    await started(meeting.id, 1);
    const first = bridge.calls.recorder.state(meeting.id).current!;
    assert.equal(first.format, 'wav', 'nobody sends video: the mixed audio only');
    assert.deepEqual(parseRecordingList(await writing(meeting.id)), [bridge.recordings.pathOf(first)], 'FreeSWITCH writes it where the row says');
    // A latecomer hears the notice alone: FreeSWITCH takes the command the recorder sent it.
    const [host] = bridge.calls.engine.calls.inMeeting(meeting.id);
    await toneCaller(2101, { silent: true });
    const late = await waitFor(
      'the latecomer in the conference',
      async () => bridge.calls.engine.calls.inMeeting(meeting.id).find((c) => c !== host && c.memberId !== null)?.memberId ?? undefined,
      10_000,
    );
    assert.match(await bridge.fs.fsCli(conferenceCommands.playTo(meeting.id, late, join(soundsRoot, 'diemcau', 'vi', 'recording-started.wav'))), /\+OK/);
    await sleep(3000);
    const stop1 = await http.api('POST', `/meetings/${meeting.id}/recording/stop`);
    assert.equal(stop1.status, 200, JSON.stringify(stop1.body));
    const rec1 = stop1.body.recording;
    assert.deepEqual(parseRecordingList(await writing(meeting.id)), [], 'closed while the conference goes on');
    assert.equal(rec1.id, first.id);

    const file1 = bridge.recordings.pathOf(first);
    assert.equal((await fileDigest(file1)).sha256, rec1.sha256, 'the checksum is that of the closed file');
    assert.equal((await fileDigest(file1)).size, rec1.sizeBytes);
    const samples = await decode(ffmpeg, file1);
    const recordedSeconds = (Date.parse(rec1.endedAt) - Date.parse(rec1.startedAt)) / 1000;
    assert.ok(Math.abs(samples.length / RATE - recordedSeconds) < 1.2, `file ${samples.length / RATE} s, recorded ${recordedSeconds} s`);
    const share = toneShare(samples, TONE_HZ);
    assert.ok(share > 0.5, `1 kHz has ${share.toFixed(2)} of the power of the file's last second`);
    assert.ok(toneShare(samples, 1700) < 0.05, 'and not any frequency does');

    const start2 = await http.api('POST', `/meetings/${meeting.id}/recording/start`);
    assert.equal(start2.status, 200, JSON.stringify(start2.body));
    await started(meeting.id, 2);
    await sleep(1500);
    assert.equal((await http.api('POST', `/meetings/${meeting.id}/recording/stop`)).status, 200);
    const list = await viewer('GET', `/meetings/${meeting.id}/recordings`);
    assert.equal(list.body.items.length, 2);
    assert.ok(list.body.items.every((r: { sha256: string | null; endedAt: string | null }) => r.sha256 && r.endedAt));
    assert.deepEqual(
      events.filter((e) => e.meetingId === meeting.id && e.type.startsWith('recording.')).map((e) => e.type),
      ['recording.started', 'recording.stopped', 'recording.started', 'recording.stopped'],
    );

    assert.equal((await viewer('DELETE', `/recordings/${rec1.id}`)).status, 403);
    assert.equal((await http.api('DELETE', `/recordings/${rec1.id}`)).status, 204);
    assert.ok(!existsSync(file1));
    assert.deepEqual(await bridge.ds.query(`SELECT id FROM recording WHERE id = $1`, [rec1.id]), []);
    assert.equal((await viewer('GET', `/meetings/${meeting.id}/recordings`)).body.items.length, 1);
  });

  it('records composed video and the mixed audio as MP4 when a caller sends video, and stops when the meeting ends', async function () {
    const ffprobe = ffmpeg.replace(/ffmpeg$/, 'ffprobe');
    if (!existsSync(ffprobe)) skipFor(this, 'MP4 recording', 'ffprobe is not installed');
    const meeting = await liveMeeting(2102, false);
    await toneCaller(2102, { video: true });
    await waitFor(
      'the caller in the conference with video',
      async () => (bridge.calls.engine.calls.inMeeting(meeting.id).some((c) => c.codecs.video) ? true : undefined),
      10_000,
    );
    const start = await http.api('POST', `/meetings/${meeting.id}/recording/start`);
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body.current.format, 'mp4');
    await sleep(4000);
    assert.equal((await http.api('POST', `/meetings/${meeting.id}/end`)).status, 204);
    assert.doesNotMatch(await writing(meeting.id), /Record file/, 'nothing left recording in FreeSWITCH');
    const [row] = await bridge.ds.query(`SELECT id, file_name, ended_at, size_bytes, sha256, started_at FROM recording WHERE meeting_id = $1`, [meeting.id]);
    assert.ok(row.ended_at && row.sha256, 'closed and registered as the meeting ended');
    const file = join(bridge.config.recordings.dir, row.file_name);
    const kinds = await streams(ffprobe, file);
    assert.ok(kinds.includes('h264,video') && kinds.some((k) => k.endsWith(',audio')), kinds.join(' '));
    const samples = await decode(ffmpeg, file);
    const recordedSeconds = (row.ended_at.getTime() - row.started_at.getTime()) / 1000;
    assert.ok(Math.abs(samples.length / RATE - recordedSeconds) < 1.2, `file ${samples.length / RATE} s, recorded ${recordedSeconds} s`);
    assert.ok(toneShare(samples, TONE_HZ) > 0.5);
    // Ending twice (the scheduler after the operator) is a no-op.
    await bridge.calls.lifecycle.ended(meeting);
  });

  it('goes on recording across a restart of the bridge, which takes the file over and closes it as its own', async () => {
    const meeting = await liveMeeting(2103, false);
    await toneCaller(2103);
    await waitFor(
      'the caller in the conference',
      async () => (bridge.calls.engine.calls.inMeeting(meeting.id).some((c) => c.memberId !== null) ? true : undefined),
      10_000,
    );
    assert.equal((await http.api('POST', `/meetings/${meeting.id}/recording/start`)).status, 200);
    const { id } = bridge.calls.recorder.state(meeting.id).current!;
    await sleep(1500);
    await bridge.restart();
    const taken = await waitFor('the new process to take the recording over', async () => bridge.calls.recorder.state(meeting.id).current ?? undefined, 10_000);
    assert.equal(taken.id, id);
    await sleep(1500);
    const done = await bridge.calls.recorder.stop(meeting.id);
    assert.doesNotMatch(await writing(meeting.id), /Record file/);
    const file = bridge.recordings.pathOf(done!);
    assert.equal((await fileDigest(file)).sha256, done!.sha256);
    const samples = await decode(ffmpeg, file);
    const recordedSeconds = (done!.endedAt!.getTime() - done!.startedAt.getTime()) / 1000;
    assert.ok(recordedSeconds > 3, `${recordedSeconds} s: both sides of the restart`);
    assert.ok(Math.abs(samples.length / RATE - recordedSeconds) < 1.2, `file ${samples.length / RATE} s, recorded ${recordedSeconds} s`);
  });
});
