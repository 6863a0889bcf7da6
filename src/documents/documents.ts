import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import { NotFoundError } from '../errors';
import type { MeetingEvents } from '../meetings/meeting-events';
import { detectDocumentType, documentTypes, type ByteSource } from './content-type';
import { documentFileName } from './file-name';
import type { DocumentStore } from './store';

export interface MeetingDocument {
  id: string;
  meetingId: string;
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
  uploadedBy: string;
  uploadedAt: Date;
}

/** An upload as received: written to a spool file whose size and SHA-256 were counted on the way. */
export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  /** The name the client gave the file part. */
  givenName: string;
}

/** Not one of the accepted formats, whatever it was called; the API answers 415. */
export class UnsupportedDocumentError extends Error {
  constructor() {
    super(`the file is not a whole ${Object.keys(documentTypes).join(', ').toUpperCase()} file (decided from its content, not its name)`);
    this.name = 'UnsupportedDocumentError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  meeting_id: string;
  name: string;
  media_type: string;
  size: string;
  sha256: string;
  uploaded_by: string;
  uploaded_at: Date;
}

const COLUMNS = 'id, meeting_id, name, media_type, size, sha256, uploaded_by, uploaded_at';

const fromRow = (r: Row): MeetingDocument => ({
  id: r.id,
  meetingId: r.meeting_id,
  name: r.name,
  mediaType: r.media_type,
  size: Number(r.size),
  sha256: r.sha256,
  uploadedBy: r.uploaded_by,
  uploadedAt: new Date(r.uploaded_at),
});

/** A meeting's documents: rows in PostgreSQL, bytes in the store, every change audited and announced. */
export class MeetingDocuments {
  constructor(
    private readonly ds: DataSource,
    readonly store: DocumentStore,
    private readonly events: MeetingEvents,
  ) {}

  async list(meetingId: string): Promise<MeetingDocument[]> {
    if (!UUID.test(meetingId)) return [];
    const rows: Row[] = await this.ds.query(`SELECT ${COLUMNS} FROM meeting_document WHERE meeting_id = $1 ORDER BY uploaded_at, name`, [meetingId]);
    return rows.map(fromRow);
  }

  /** The document, if it belongs to that meeting; else NotFoundError (an id of another meeting's says nothing). */
  async get(meetingId: string, id: string): Promise<MeetingDocument> {
    const rows: Row[] =
      UUID.test(meetingId) && UUID.test(id)
        ? await this.ds.query(`SELECT ${COLUMNS} FROM meeting_document WHERE meeting_id = $1 AND id = $2`, [meetingId, id])
        : [];
    if (!rows[0]) throw new NotFoundError('document', id);
    return fromRow(rows[0]);
  }

  async add(meetingId: string, file: SpooledFile, actor: Actor): Promise<MeetingDocument> {
    const type = await withFile(file.path, detectDocumentType);
    if (!type) throw new UnsupportedDocumentError();
    const name = documentFileName(file.givenName, type);
    const mediaType = documentTypes[type].mediaType;
    const id = crypto.randomUUID();
    await this.store.put(id, createReadStream(file.path), file.size, mediaType);
    let doc: MeetingDocument;
    try {
      doc = await this.ds.transaction(async (em) => {
        const [row]: Row[] = await em.query(
          `INSERT INTO meeting_document (id, meeting_id, name, media_type, size, sha256, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
          [id, meetingId, name, mediaType, file.size, file.sha256, actor.name],
        );
        await recordAudit(em, actor, {
          action: 'document.upload',
          resourceType: 'meeting',
          resourceId: meetingId,
          detail: { documentId: id, name, mediaType, size: file.size, sha256: file.sha256 },
        });
        return fromRow(row!);
      });
    } catch (err) {
      await this.store.delete(id).catch(() => undefined);
      throw err;
    }
    this.events.publish(meetingId, {
      type: 'document.added',
      document: { id: doc.id, name: doc.name, mediaType: doc.mediaType, size: doc.size, uploadedAt: doc.uploadedAt.toISOString() },
    });
    return doc;
  }

  async remove(meetingId: string, id: string, actor: Actor): Promise<void> {
    const doc = await this.get(meetingId, id);
    await this.ds.transaction(async (em) => {
      await em.query(`DELETE FROM meeting_document WHERE id = $1`, [id]);
      await recordAudit(em, actor, { action: 'document.delete', resourceType: 'meeting', resourceId: meetingId, detail: { documentId: id, name: doc.name } });
    });
    await this.store.delete(id);
    this.events.publish(meetingId, { type: 'document.removed', documentId: id });
  }
}

async function withFile<T>(path: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return await use({
      size,
      read: async (offset, length) => {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      },
    });
  } finally {
    await handle.close();
  }
}
