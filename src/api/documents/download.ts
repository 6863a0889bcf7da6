import type { Context } from 'koa';
import { contentDisposition } from '../../documents/file-name';
import type { MeetingDocument, MeetingDocuments } from '../../documents/documents';
import type { ByteRange } from '../../documents/store';
import { HttpProblem } from '../problem';

/**
 * Answers with a document's bytes: its own type (found in its content), its Vietnamese name as an
 * attachment, and one byte range when asked (`Range: bytes=a-b`), so a large PDF can resume.
 */
export async function sendDocument(ctx: Context, documents: MeetingDocuments, doc: MeetingDocument): Promise<void> {
  const range = requestedRange(ctx.get('range'), doc.size);
  ctx.set({
    'Content-Disposition': contentDisposition(doc.name),
    'Accept-Ranges': 'bytes',
    ETag: `"${doc.sha256}"`,
    'Cache-Control': 'private, no-cache',
    'X-Content-Type-Options': 'nosniff',
    // Opened in a tab all the same, a document runs nothing.
    'Content-Security-Policy': "sandbox; default-src 'none'",
  });
  ctx.type = doc.mediaType;
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${doc.size}`);
    ctx.length = range.end - range.start + 1;
  } else {
    ctx.status = 200;
    ctx.length = doc.size;
  }
  ctx.body = await documents.store.get(doc.id, range ?? undefined);
}

/** One range, or none (whole file) for a header absent or not understood, as RFC 9110 allows; 416 past the end. */
function requestedRange(header: string, size: number): ByteRange | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (!m[1] && !m[2])) return null;
  let start: number;
  let end: number;
  if (!m[1]) {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): HttpProblem {
  return new HttpProblem(416, 'Range Not Satisfiable', `the document has ${size} bytes`, {}, { 'Content-Range': `bytes */${size}` });
}
