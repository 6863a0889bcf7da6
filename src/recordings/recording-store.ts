import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, mkdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { returnedRows } from '../db/returned-rows';
import { NotFoundError } from '../errors';
import type { Meeting } from '../meetings/meeting.entity';
import { expiredRecordings, retentionCutoff } from './retention';

export type RecordingFormat = 'mp4' | 'wav';

/** One recording file and what the bridge knows of it. `endedAt` null: still recording, or the process died. */
export interface Recording {
  id: string;
  meetingId: string;
  fileName: string;
  format: RecordingFormat;
  startedAt: Date;
  endedAt: Date | null;
  sizeBytes: number | null;
  sha256: string | null;
}

interface Row {
  id: string;
  meeting_id: string;
  file_name: string;
  format: RecordingFormat;
  started_at: Date;
  ended_at: Date | null;
  size_bytes: string | null;
  sha256: string | null;
}

const COLUMNS = 'id, meeting_id, file_name, format, started_at, ended_at, size_bytes, sha256';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fromRow(r: Row): Recording {
  return {
    id: r.id,
    meetingId: r.meeting_id,
    fileName: r.file_name,
    format: r.format,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    sha256: r.sha256,
  };
}

/** SHA-256 (hex) and size of a file, streamed. */
export async function fileDigest(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * The recording files in RECORDINGS_DIR and their rows in PostgreSQL. A row is written before
 * FreeSWITCH opens the file and completed (end, size, checksum) after it closed it, so every file the
 * bridge ever asked for is on record even when the process dies in between.
 */
export class RecordingStore {
  constructor(
    private readonly ds: DataSource,
    readonly dir: string,
  ) {}

  /** Creates the directory if needed; throws when the bridge cannot write there. */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await access(this.dir, constants.W_OK | constants.R_OK);
  }

  pathOf(rec: Pick<Recording, 'fileName'>): string {
    return join(this.dir, rec.fileName);
  }

  /** Bytes free for an unprivileged writer on the file system of RECORDINGS_DIR. */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /** The row of a recording about to start; its file name is derived from the row's id. */
  async begin(meetingId: string, format: RecordingFormat, startedAt = new Date()): Promise<Recording> {
    const id = randomUUID();
    const rows: Row[] = await this.ds.query(
      `INSERT INTO recording (id, meeting_id, file_name, format, started_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [id, meetingId, `${id}.${format}`, format, startedAt],
    );
    return fromRow(rows[0]!);
  }

  /** Completes the row from the closed file: end, size and checksum (a missing file leaves both null). */
  async finish(id: string, endedAt = new Date()): Promise<Recording> {
    const rec = await this.get(id);
    const digest = await fileDigest(this.pathOf(rec)).catch(() => null);
    const rows = returnedRows<Row>(
      await this.ds.query(`UPDATE recording SET ended_at = $2, size_bytes = $3, sha256 = $4 WHERE id = $1 RETURNING ${COLUMNS}`, [
        id,
        endedAt,
        digest?.size ?? null,
        digest?.sha256 ?? null,
      ]),
    );
    return fromRow(rows[0]!);
  }

  /** Rows still open, with the language of their meeting (a recorder taking them over needs it). */
  async unfinished(): Promise<(Recording & { language: Meeting['language'] })[]> {
    const rows: (Row & { language: Meeting['language'] })[] = await this.ds.query(
      `SELECT r.id, r.meeting_id, r.file_name, r.format, r.started_at, r.ended_at, r.size_bytes, r.sha256, m.language
         FROM recording r JOIN meeting m ON m.id = r.meeting_id WHERE r.ended_at IS NULL ORDER BY r.started_at`,
    );
    return rows.map((r) => ({ ...fromRow(r), language: r.language }));
  }

  /**
   * Open rows no recorder of this process owns (`owned`) whose file has not been written for
   * `quietMs`: a dead process's, or one FreeSWITCH finished writing after a restart (the conference
   * ended). Completed from what is on disk, ending when the file was last written. A file still
   * growing is left alone: FreeSWITCH is recording it, and a recorder may take it over.
   */
  async finishDangling(quietMs: number, owned: ReadonlySet<string> = new Set(), now = new Date()): Promise<Recording[]> {
    const rows: Row[] = await this.ds.query(`SELECT ${COLUMNS} FROM recording WHERE ended_at IS NULL`);
    const done: Recording[] = [];
    for (const r of rows) {
      if (owned.has(r.id)) continue;
      const modified = await stat(join(this.dir, r.file_name)).then(
        (s) => s.mtime.getTime(),
        () => 0,
      );
      const lastWrite = Math.max(modified, r.started_at.getTime());
      if (now.getTime() - lastWrite < quietMs) continue;
      done.push(await this.finish(r.id, new Date(lastWrite)));
    }
    return done;
  }

  async list(meetingId: string): Promise<Recording[]> {
    const rows: Row[] = await this.ds.query(`SELECT ${COLUMNS} FROM recording WHERE meeting_id = $1 ORDER BY started_at, id`, [meetingId]);
    return rows.map(fromRow);
  }

  async get(id: string): Promise<Recording> {
    if (!UUID.test(id)) throw new NotFoundError('recording', id);
    const rows: Row[] = await this.ds.query(`SELECT ${COLUMNS} FROM recording WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('recording', id);
    return fromRow(rows[0]);
  }

  /** Removes the file, then the row (a file already gone is fine). */
  async remove(id: string): Promise<Recording> {
    const rec = await this.get(id);
    await rm(this.pathOf(rec), { force: true });
    await this.ds.query(`DELETE FROM recording WHERE id = $1`, [id]);
    return rec;
  }

  /** Deletes the files and rows older than the retention period; returns what it deleted. */
  async removeExpired(now: Date, days: number): Promise<Recording[]> {
    const cutoff = retentionCutoff(now, days);
    if (!cutoff) return [];
    const rows: Row[] = await this.ds.query(`SELECT ${COLUMNS} FROM recording WHERE coalesce(ended_at, started_at) < $1`, [cutoff]);
    const expired = expiredRecordings(rows.map(fromRow), now, days);
    for (const rec of expired) await this.remove(rec.id);
    return expired;
  }
}
