import { stat } from 'node:fs/promises';
import { InvalidStateError } from '../errors';
import type { Logger } from '../log';
import type { ConferenceControl, MediaPool } from '../media/freeswitch/media-endpoint';
import { promptPath } from '../media/prompts/catalog';
import type { Meeting } from '../meetings/meeting.entity';
import type { MeetingEvents } from '../meetings/meeting-events';
import type { Recording, RecordingFormat, RecordingStore } from '../recordings/recording-store';
import type { CallRegistry } from './call-registry';

/** Too little room in RECORDINGS_DIR to start a recording. */
export class InsufficientStorageError extends Error {
  constructor(
    readonly freeBytes: number,
    readonly neededBytes: number,
  ) {
    super(`only ${mib(freeBytes)} MiB free in the recordings directory; a recording needs at least ${mib(neededBytes)} MiB`);
    this.name = 'InsufficientStorageError';
  }
}

const mib = (bytes: number) => Math.floor(bytes / 1048576);

export interface RecorderOptions {
  soundsDir: string;
  /** A recording is refused when RECORDINGS_DIR has less free space than this. */
  minFreeBytes: number;
  /** How long FreeSWITCH gets to close a file after it was told to stop. */
  closeTimeoutMs?: number;
}

interface Running {
  recording: Recording;
  serverId: string;
  language: Meeting['language'];
}

/** Whether a meeting is meant to be recorded, and the file being written now, if any. */
export interface RecordingState {
  wanted: boolean;
  current: Recording | null;
}

/**
 * Records meetings through their FreeSWITCH conference. A meeting is recorded while it is *wanted*
 * (booked with `record`, or started by an operator) and its conference exists: the conference only
 * exists while somebody is in it, so a recording wanted before anyone joined starts with the first
 * participant, and one whose conference emptied (FreeSWITCH closes the file then) starts a new file
 * when somebody joins again. Each file is registered in the RecordingStore before FreeSWITCH opens
 * it and completed once FreeSWITCH has closed it.
 */
export class Recorder {
  readonly #wanted = new Map<string, Meeting['language']>();
  readonly #running = new Map<string, Running>();
  /** Starts and stops of one meeting run one after the other. */
  readonly #queue = new Map<string, Promise<unknown>>();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly calls: Pick<CallRegistry, 'inMeeting' | 'mediaServerOf'>,
    private readonly media: Pick<MediaPool, 'control'>,
    private readonly store: Pick<RecordingStore, 'begin' | 'finish' | 'remove' | 'pathOf' | 'freeBytes' | 'unfinished'>,
    private readonly events: MeetingEvents,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {
    this.#unsubscribe = events.subscribe('*', (e) => {
      if (e.type === 'participant.joined' && this.#wanted.has(e.meetingId) && !this.#running.has(e.meetingId)) {
        void this.#serial(e.meetingId, () => this.#begin(e.meetingId)).catch((err: unknown) =>
          this.log.error({ err, meetingId: e.meetingId }, 'recording did not start'),
        );
      } else if (e.type === 'participant.joined' && this.#running.has(e.meetingId)) {
        void this.#tell(e.meetingId, e.participant.id);
      } else if (e.type === 'participant.left' && this.#running.has(e.meetingId) && this.calls.inMeeting(e.meetingId).length === 0) {
        // The conference is gone and FreeSWITCH closed the file with it.
        void this.#serial(e.meetingId, () => this.#end(e.meetingId, false)).catch((err: unknown) =>
          this.log.error({ err, meetingId: e.meetingId }, 'recording did not close'),
        );
      }
    });
  }

  state(meetingId: string): RecordingState {
    return { wanted: this.#wanted.has(meetingId), current: this.#running.get(meetingId)?.recording ?? null };
  }

  /**
   * Records the meeting from now on (at once when somebody is in it, else with the first participant).
   * Refused when it is already recorded, or when RECORDINGS_DIR is short of space.
   */
  async start(meeting: Meeting): Promise<RecordingState> {
    if (this.#wanted.has(meeting.id)) throw new InvalidStateError('the meeting is already being recorded');
    await this.#checkSpace();
    this.#wanted.set(meeting.id, meeting.language);
    try {
      if (this.calls.mediaServerOf(meeting.id)) await this.#serial(meeting.id, () => this.#begin(meeting.id));
    } catch (err) {
      this.#wanted.delete(meeting.id);
      throw err;
    }
    return this.state(meeting.id);
  }

  /** A meeting booked with `record` went live (or is still live after a restart). Never throws. */
  async wantFromBooking(meeting: Meeting): Promise<void> {
    if (!meeting.record || this.#wanted.has(meeting.id)) return;
    await this.start(meeting).catch((err: unknown) => this.log.error({ err, meetingId: meeting.id }, 'booked recording did not start'));
  }

  /**
   * Stops recording the meeting and waits until FreeSWITCH closed the file. Refused when it is not
   * being recorded; `ifRecording` (the meeting ends) makes that, and a second stop, a no-op.
   */
  async stop(meetingId: string, opts: { ifRecording?: boolean } = {}): Promise<Recording | null> {
    if (!this.#wanted.delete(meetingId)) {
      if (opts.ifRecording) return this.#queue.get(meetingId)?.then(() => null) ?? null;
      throw new InvalidStateError('the meeting is not being recorded');
    }
    return this.#serial(meetingId, () => this.#end(meetingId, true));
  }

  /** The meeting ended: no recording of it may be left running. Closing twice is a no-op. */
  async meetingEnded(meetingId: string): Promise<void> {
    await this.stop(meetingId, { ifRecording: true });
  }

  /**
   * A media server died (after placement moved its meetings, docs/scale.md "Failover"): each file it
   * was writing ends as it is on disk, and a meeting still wanted goes on in a new file on its new
   * primary at once if it has calls left there, else with the first site called back.
   */
  async serverLost(serverId: string): Promise<void> {
    const lost = [...this.#running].filter(([, r]) => r.serverId === serverId).map(([meetingId]) => meetingId);
    await Promise.all(
      lost.map((meetingId) =>
        this.#serial(meetingId, async () => {
          await this.#end(meetingId, false);
          await this.#begin(meetingId);
        }).catch((err: unknown) => this.log.error({ err, meetingId, serverId }, 'recording not moved off the lost media server')),
      ),
    );
  }

  /** The recordings this process is writing: the dangling-row sweep leaves them alone. */
  owned(): Set<string> {
    return new Set([...this.#running.values()].map((r) => r.recording.id));
  }

  /**
   * A media server (re)connected: every open recording its conferences are still writing was left
   * by a previous process (a restart leaves meetings running); this one takes it over, as wanted
   * and running, so it is stopped, closed and checksummed as if it had started it.
   */
  async adopt(serverId: string): Promise<number> {
    const control = this.media.control(serverId);
    if (!control) return 0;
    let adopted = 0;
    for (const meetingId of new Set((await this.store.unfinished()).map((r) => r.meetingId))) {
      if (await this.#serial(meetingId, () => this.#takeOver(meetingId, serverId, control))) adopted++;
    }
    return adopted;
  }

  /** Takes over the open recording the meeting's conference is still writing, if any. */
  async #takeOver(meetingId: string, serverId: string, control: ConferenceControl): Promise<boolean> {
    if (this.#running.has(meetingId)) return false;
    const writing = await control.recordings(meetingId).catch((): string[] => []);
    if (!writing.length) return false;
    const rec = (await this.store.unfinished()).find((r) => r.meetingId === meetingId && writing.includes(this.store.pathOf(r)));
    if (!rec) return false;
    const { language, ...recording } = rec;
    this.#wanted.set(meetingId, language);
    this.#running.set(meetingId, { recording, serverId, language });
    this.log.info({ meetingId, recordingId: rec.id }, 'recording left running by a previous process taken over');
    return true;
  }

  close(): void {
    this.#unsubscribe();
  }

  async #checkSpace(): Promise<void> {
    const free = await this.store.freeBytes();
    if (free < this.options.minFreeBytes) throw new InsufficientStorageError(free, this.options.minFreeBytes);
  }

  #serial<T>(meetingId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queue.get(meetingId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#queue.set(meetingId, settled);
    void settled.then(() => {
      if (this.#queue.get(meetingId) === settled) this.#queue.delete(meetingId);
    });
    return next;
  }

  /** The conference exists and the meeting is wanted: open a row, have FreeSWITCH write, tell everyone. */
  async #begin(meetingId: string): Promise<void> {
    const language = this.#wanted.get(meetingId);
    const serverId = this.calls.mediaServerOf(meetingId);
    if (language === undefined || !serverId || this.#running.has(meetingId)) return;
    const control = this.#control(serverId);
    // After a restart the conference may still be writing the previous process's file: go on with it.
    if (await this.#takeOver(meetingId, serverId, control)) return;
    await this.#checkSpace();
    const recording = await this.store.begin(meetingId, this.#format(meetingId));
    try {
      await control.record(meetingId, this.store.pathOf(recording));
    } catch (err) {
      await this.store.remove(recording.id).catch(() => undefined);
      throw err;
    }
    this.#running.set(meetingId, { recording, serverId, language });
    this.log.info({ meetingId, recordingId: recording.id, format: recording.format }, 'recording started');
    this.events.publish(meetingId, { type: 'recording.started', recordingId: recording.id, format: recording.format });
    // After the recorder started, so the notice is in the recording too.
    await control.play(meetingId, this.#notice(language)).catch((err: unknown) => this.log.warn({ err, meetingId }, 'recording notice not played'));
  }

  #notice(language: Meeting['language']): string {
    return promptPath(this.options.soundsDir, language, 'recording-started');
  }

  /** Somebody joined a meeting being recorded: they hear the notice too, alone. */
  async #tell(meetingId: string, participationId: string): Promise<void> {
    const running = this.#running.get(meetingId);
    const memberId = this.calls.inMeeting(meetingId).find((c) => c.participationId === participationId)?.memberId;
    if (!running || memberId === undefined || memberId === null) return;
    await this.media
      .control(running.serverId)
      ?.playTo(meetingId, memberId, this.#notice(running.language))
      .catch((err: unknown) => this.log.warn({ err, meetingId, participationId }, 'recording notice not played'));
  }

  /** Ends the file being written (telling FreeSWITCH to stop when `tell`), completes its row, says so. */
  async #end(meetingId: string, tell: boolean): Promise<Recording | null> {
    const running = this.#running.get(meetingId);
    if (!running) return null;
    this.#running.delete(meetingId);
    const path = this.store.pathOf(running.recording);
    const control = this.media.control(running.serverId);
    if (tell && control) {
      await control.stopRecording(meetingId, path).catch((err: unknown) => this.log.warn({ err, meetingId }, 'norecord refused (the conference may be gone)'));
    }
    await this.#closed(meetingId, path, control);
    const recording = await this.store.finish(running.recording.id);
    this.log.info({ meetingId, recordingId: recording.id, sizeBytes: recording.sizeBytes }, 'recording stopped');
    this.events.publish(meetingId, {
      type: 'recording.stopped',
      recordingId: recording.id,
      sizeBytes: recording.sizeBytes,
      durationMs: recording.endedAt ? recording.endedAt.getTime() - recording.startedAt.getTime() : null,
    });
    return recording;
  }

  /**
   * Waits until FreeSWITCH no longer lists the file as recording and its size has settled (its
   * record thread closes the file a little after `norecord` returns), at most closeTimeoutMs.
   */
  async #closed(meetingId: string, path: string, control: ConferenceControl | undefined): Promise<void> {
    const deadline = Date.now() + (this.options.closeTimeoutMs ?? 10_000);
    let lastSize = -1;
    while (Date.now() < deadline) {
      const writing = control ? await control.recordings(meetingId).catch(() => []) : [];
      const size = await stat(path).then(
        (s) => s.size,
        () => -1,
      );
      if (!writing.includes(path) && size === lastSize) return;
      lastSize = size;
      await new Promise((r) => setTimeout(r, 200));
    }
    this.log.warn({ meetingId, path }, 'FreeSWITCH did not close the recording in time; checksumming it as it is');
  }

  /** MP4 (composed video and mixed audio) when a participant sends video, else WAV (the mixed audio). */
  #format(meetingId: string): RecordingFormat {
    return this.calls.inMeeting(meetingId).some((c) => c.codecs.video) ? 'mp4' : 'wav';
  }

  #control(serverId: string): ConferenceControl {
    const control = this.media.control(serverId);
    if (!control) throw new InvalidStateError('the media server of this meeting is not connected');
    return control;
  }
}
