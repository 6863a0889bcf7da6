import { z } from 'zod';
import type { MeetingDocument } from '../../documents/documents';

export const documentOut = z
  .object({
    id: z.uuid(),
    meetingId: z.uuid(),
    name: z.string().describe('The name as uploaded (NFC, path-safe), with the extension of its real type'),
    mediaType: z.string().describe('Decided from the content: PDF, DOCX, XLSX, PNG or JPEG'),
    size: z.number().int().describe('Bytes'),
    sha256: z.string().describe('SHA-256 of the content, hex'),
    uploadedBy: z.string(),
    uploadedAt: z.iso.datetime(),
  })
  .meta({ id: 'MeetingDocument' });

export const documentListOut = z.object({ items: z.array(documentOut) }).meta({ id: 'MeetingDocumentList' });

export const documentParams = z.object({ id: z.string().describe('The meeting id'), documentId: z.string().describe('The document id') });

export const documentJson = (d: MeetingDocument): z.output<typeof documentOut> => ({
  id: d.id,
  meetingId: d.meetingId,
  name: d.name,
  mediaType: d.mediaType,
  size: d.size,
  sha256: d.sha256,
  uploadedBy: d.uploadedBy,
  uploadedAt: d.uploadedAt.toISOString(),
});
