import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { recordAuditAfter } from '../../audit/audit';
import { InsufficientStorageError } from '../../calls/recorder';
import { parseByteRange } from '../../recordings/byte-range';
import type { Recording } from '../../recordings/recording-store';
import { authProblems, iso, problems, problemSchema, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { route, uuidParams } from '../route';

const CONTENT_TYPES = { mp4: 'video/mp4', wav: 'audio/wav' } as const;

const recordingOut = z
  .object({
    id: z.uuid(),
    meetingId: z.uuid(),
    format: z.enum(['mp4', 'wav']).describe('mp4: composed video and mixed audio; wav: mixed audio (nobody sent video when it started)'),
    contentType: z.string(),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().nullable().describe('null while it is being recorded'),
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable().describe('Of the file as FreeSWITCH closed it'),
    href: z.string().describe('Where to download it (HTTP range requests accepted)'),
  })
  .meta({ id: 'Recording' });

const recordingStateOut = z
  .object({
    recording: z.boolean().describe('The meeting is being recorded (or will be, from the first participant)'),
    current: recordingOut.nullable().describe('The file being written now'),
  })
  .meta({ id: 'RecordingState' });

function present(r: Recording) {
  return {
    id: r.id,
    meetingId: r.meetingId,
    format: r.format,
    contentType: CONTENT_TYPES[r.format],
    startedAt: iso(r.startedAt),
    endedAt: r.endedAt ? iso(r.endedAt) : null,
    sizeBytes: r.sizeBytes,
    sha256: r.sha256,
    href: `/api/v1/recordings/${r.id}/file`,
  };
}

/** A download's file name: the meeting's start in UTC, e.g. `recording-20261207T0300Z-1a2b3c4d.mp4`. */
function downloadName(r: Recording): string {
  const when = r.startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\d\d\.\d{3}Z$/, 'Z');
  return `recording-${when}-${r.id.slice(0, 8)}.${r.format}`;
}

const storage = {
  507: { description: 'Too little free space in RECORDINGS_DIR (free and needed bytes named)', schema: problemSchema, contentType: 'application/problem+json' },
};
const needsSip = { 503: { description: 'SIP is not configured on this bridge', schema: problemSchema, contentType: 'application/problem+json' } };

/** Meeting recordings: start and stop live, list, download (with ranges) and delete. */
export function recordingRoutes(deps: ApiDeps) {
  const store = () => {
    if (!deps.recordings) throw new HttpProblem(503, 'Service Unavailable', 'recordings are not configured on this bridge');
    return deps.recordings.store;
  };
  const recorder = () => {
    if (!deps.recordings?.recorder) throw new HttpProblem(503, 'Service Unavailable', 'SIP is not configured on this bridge (DRACHTIO_HOST)');
    return deps.recordings.recorder;
  };
  const liveMeeting = async (id: string) => {
    const { meeting } = await deps.meetings.get(id);
    if (meeting.status !== 'live') throw new HttpProblem(409, 'Invalid State', `meeting is ${meeting.status}, not live`);
    return meeting;
  };
  const stateOf = (meetingId: string) => {
    const s = deps.recordings?.recorder?.state(meetingId) ?? { wanted: false, current: null };
    return { recording: s.wanted, current: s.current ? present(s.current) : null };
  };

  return [
    route({
      method: 'get',
      path: '/meetings/{id}/recordings',
      tag: 'recordings',
      summary: "The meeting's recordings, oldest first, and whether it is being recorded now",
      permission: 'read',
      params: uuidParams,
      responses: {
        200: { description: 'The recordings', schema: z.object({ items: z.array(recordingOut), ...recordingStateOut.shape }) },
        ...authProblems,
        404: problems[404],
        ...needsSip,
      },
      async handler(ctx, { params }) {
        const { meeting } = await deps.meetings.get(params.id);
        ctx.body = { items: (await store().list(meeting.id)).map(present), ...stateOf(meeting.id) };
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/recording/start',
      tag: 'recordings',
      summary: 'Start recording a live meeting; everyone hears a short notice',
      permission: 'meetings:write',
      params: uuidParams,
      responses: {
        200: { description: 'Recording (or waiting for the first participant)', schema: recordingStateOut },
        ...writeProblems,
        404: problems[404],
        409: problems[409],
        ...storage,
        ...needsSip,
      },
      async handler(ctx, { params, caller }) {
        const meeting = await liveMeeting(params.id);
        const r = recorder();
        try {
          await r.start(meeting);
        } catch (err) {
          if (err instanceof InsufficientStorageError) {
            throw new HttpProblem(507, 'Insufficient Storage', err.message, { freeBytes: err.freeBytes, neededBytes: err.neededBytes });
          }
          throw err;
        }
        await recordAuditAfter(deps.ds, caller!.actor, {
          action: 'meeting.recording-start',
          resourceType: 'meeting',
          resourceId: meeting.id,
          detail: { title: meeting.title },
        });
        ctx.body = stateOf(meeting.id);
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/recording/stop',
      tag: 'recordings',
      summary: 'Stop recording a live meeting; answers once the file is closed and registered',
      permission: 'meetings:write',
      params: uuidParams,
      responses: {
        200: { description: 'The file just closed (null when nobody had joined yet)', schema: z.object({ recording: recordingOut.nullable() }) },
        ...writeProblems,
        404: problems[404],
        409: problems[409],
        ...needsSip,
      },
      async handler(ctx, { params, caller }) {
        const meeting = await liveMeeting(params.id);
        const done = await recorder().stop(meeting.id);
        await recordAuditAfter(deps.ds, caller!.actor, {
          action: 'meeting.recording-stop',
          resourceType: 'meeting',
          resourceId: meeting.id,
          detail: { title: meeting.title, recordingId: done?.id ?? null },
        });
        ctx.body = { recording: done ? present(done) : null };
      },
    }),
    route({
      method: 'get',
      path: '/recordings/{id}/file',
      tag: 'recordings',
      summary: 'Download a recording; a Range header gets that part (206), so a player can seek',
      permission: 'read',
      params: uuidParams,
      responses: {
        200: { description: 'The whole file', contentType: 'video/mp4' },
        206: { description: 'The requested range (Content-Range says which)', contentType: 'video/mp4' },
        ...authProblems,
        404: problems[404],
        416: { description: 'The range starts past the end of the file', schema: problemSchema, contentType: 'application/problem+json' },
        ...needsSip,
      },
      async handler(ctx, { params }) {
        const rec = await store().get(params.id);
        const path = store().pathOf(rec);
        const size = await stat(path).then(
          (s) => s.size,
          () => null,
        );
        if (size === null) throw new HttpProblem(404, 'Not Found', `the file of recording ${rec.id} is missing from the recordings directory`);
        const range = parseByteRange(ctx.get('Range') || undefined, size);
        ctx.set('Accept-Ranges', 'bytes');
        if (range === 'unsatisfiable') {
          throw new HttpProblem(416, 'Range Not Satisfiable', `the file has ${size} bytes`, {}, { 'Content-Range': `bytes */${size}` });
        }
        ctx.type = CONTENT_TYPES[rec.format];
        ctx.attachment(downloadName(rec));
        if (rec.sha256 && rec.endedAt) ctx.set('ETag', `"${rec.sha256}"`);
        if (range) {
          ctx.status = 206;
          ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
          ctx.length = range.end - range.start + 1;
          ctx.body = createReadStream(path, { start: range.start, end: range.end });
        } else {
          ctx.status = 200;
          ctx.length = size;
          ctx.body = createReadStream(path);
        }
      },
    }),
    route({
      method: 'delete',
      path: '/recordings/{id}',
      tag: 'recordings',
      summary: 'Delete a recording: its file and its row',
      permission: 'meetings:write',
      params: uuidParams,
      responses: { 204: { description: 'Deleted' }, ...authProblems, 404: problems[404], 409: problems[409], ...needsSip },
      async handler(ctx, { params, caller }) {
        const rec = await store().get(params.id);
        if (deps.recordings?.recorder?.state(rec.meetingId).current?.id === rec.id) {
          throw new HttpProblem(409, 'Invalid State', 'this recording is still being written; stop it first');
        }
        await store().remove(rec.id);
        await recordAuditAfter(deps.ds, caller!.actor, {
          action: 'recording.delete',
          resourceType: 'recording',
          resourceId: rec.id,
          detail: { meetingId: rec.meetingId, startedAt: iso(rec.startedAt), sizeBytes: rec.sizeBytes, sha256: rec.sha256 },
        });
        ctx.status = 204;
      },
    }),
  ];
}
