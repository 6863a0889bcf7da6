import { UnsupportedDocumentError, type MeetingDocuments } from '../../documents/documents';
import { authProblems, problems, writeProblems } from '../common';
import type { MeetingBook } from '../../meetings/meeting-book';
import { FILE_FIELD, readFileUpload } from '../multipart';
import { HttpProblem } from '../problem';
import { route, uuidParams } from '../route';
import { sendDocument } from './download';
import { documentJson, documentListOut, documentOut, documentParams } from './schemas';

/** What the document routes need: the documents and the largest upload (DOCUMENT_MAX_MB). */
export interface DocumentDeps {
  book: MeetingDocuments;
  maxBytes: number;
}

const TAG = 'documents';

/** A meeting's documents for operators, admins and viewers (read), operators and admins (write). */
export function documentRoutes(deps: { meetings: MeetingBook; documents: DocumentDeps }) {
  const { book, maxBytes } = deps.documents;
  const notFound = { 404: problems[404] };
  return [
    route({
      method: 'get',
      path: '/meetings/{id}/documents',
      tag: TAG,
      summary: "A meeting's documents, oldest first",
      permission: 'read',
      params: uuidParams,
      responses: { 200: { description: 'The documents', schema: documentListOut }, ...authProblems, ...notFound },
      async handler(ctx, { params }) {
        const { meeting } = await deps.meetings.get(params.id);
        ctx.body = { items: (await book.list(meeting.id)).map(documentJson) };
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/documents',
      tag: TAG,
      summary: 'Attach a document (PDF, DOCX, XLSX, PNG, JPEG — decided from its content) to a meeting',
      permission: 'meetings:write',
      params: uuidParams,
      upload: { field: FILE_FIELD, description: 'The document; its file name is kept (NFC)' },
      responses: {
        201: { description: 'Stored; everyone on the join page sees it (document.added)', schema: documentOut },
        ...writeProblems,
        ...notFound,
        413: { ...problems[413], description: 'Larger than DOCUMENT_MAX_MB; nothing was stored' },
        415: { ...problems[415], description: 'Not multipart/form-data, or the file is not a whole PDF, DOCX, XLSX, PNG or JPEG' },
      },
      async handler(ctx, { params, caller }) {
        const { meeting } = await deps.meetings.get(params.id);
        const upload = await readFileUpload(ctx, maxBytes);
        try {
          const doc = await book.add(meeting.id, upload, caller!.actor);
          ctx.status = 201;
          ctx.set('Location', `${ctx.path}/${doc.id}`);
          ctx.body = documentJson(doc);
        } catch (err) {
          if (err instanceof UnsupportedDocumentError) throw new HttpProblem(415, 'Unsupported Media Type', err.message);
          throw err;
        } finally {
          await upload.discard();
        }
      },
    }),
    route({
      method: 'get',
      path: '/meetings/{id}/documents/{documentId}',
      tag: TAG,
      summary: "A document's content (Content-Disposition with its name; byte ranges)",
      permission: 'read',
      params: documentParams,
      responses: {
        200: { description: 'The bytes, in the type found in them', contentType: 'application/octet-stream' },
        206: { description: 'The range asked for' },
        ...authProblems,
        ...notFound,
        416: { ...problems[404], description: 'The range is past the end' },
      },
      async handler(ctx, { params }) {
        await sendDocument(ctx, book, await book.get(params.id, params.documentId));
      },
    }),
    route({
      method: 'delete',
      path: '/meetings/{id}/documents/{documentId}',
      tag: TAG,
      summary: 'Remove a document from a meeting (row and stored bytes)',
      permission: 'meetings:write',
      params: documentParams,
      responses: { 204: { description: 'Removed' }, ...authProblems, ...notFound },
      async handler(ctx, { params, caller }) {
        await book.remove(params.id, params.documentId, caller!.actor);
        ctx.status = 204;
      },
    }),
  ];
}
