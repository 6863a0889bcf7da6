import { inflateRawSync } from 'node:zlib';

/**
 * What a file is, decided from its bytes: the name and the Content-Type a client sends are claims,
 * not facts. Only the formats a meeting's papers come in are accepted, and each must be whole (a
 * truncated upload is refused here rather than found broken by a commune after the meeting).
 */

export const documentTypes = {
  pdf: { mediaType: 'application/pdf', extension: '.pdf' },
  docx: { mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extension: '.docx' },
  xlsx: { mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extension: '.xlsx' },
  png: { mediaType: 'image/png', extension: '.png' },
  jpeg: { mediaType: 'image/jpeg', extension: '.jpg' },
} as const;

export type DocumentType = keyof typeof documentTypes;

/** Random access to the bytes of a file: a buffer in tests, a file handle for uploads. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(bytes: Buffer): ByteSource {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
/** PDF readers look for %%EOF in the last kilobyte; writers may add a line end or padding after it. */
const PDF_TAIL = 1024;

export async function detectDocumentType(file: ByteSource): Promise<DocumentType | null> {
  if (file.size < 12) return null;
  const head = await file.read(0, 8);
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') {
    const tail = await file.read(Math.max(0, file.size - PDF_TAIL), PDF_TAIL);
    return tail.includes('%%EOF', 0, 'latin1') ? 'pdf' : null;
  }
  if (head.equals(PNG_SIGNATURE)) {
    const tail = await file.read(file.size - PNG_IEND.length, PNG_IEND.length);
    return tail.equals(PNG_IEND) ? 'png' : null;
  }
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    // End of image, possibly followed by padding some cameras write.
    const tail = await file.read(Math.max(0, file.size - 64), 64);
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return 'jpeg';
    return null;
  }
  if (head.readUInt32LE(0) === 0x04034b50) return officeType(file);
  return null;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** End of central directory record (22 bytes) plus the longest comment a ZIP may carry. */
const EOCD_SEARCH = 22 + 0xffff;
const MAX_ENTRIES = 10_000;
const MAX_CONTENT_TYPES_BYTES = 1024 * 1024;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

/** DOCX or XLSX: an OOXML package whose [Content_Types].xml names the main part, and which has it. */
async function officeType(file: ByteSource): Promise<DocumentType | null> {
  const entries = await zipEntries(file);
  if (!entries) return null;
  const types = entries.get('[Content_Types].xml');
  if (!types) return null;
  const xml = await entryText(file, types);
  if (xml === null) return null;
  if (entries.has('word/document.xml') && xml.includes('wordprocessingml.document.main+xml')) return 'docx';
  if (entries.has('xl/workbook.xml') && xml.includes('spreadsheetml.sheet.main+xml')) return 'xlsx';
  return null;
}

async function zipEntries(file: ByteSource): Promise<Map<string, ZipEntry> | null> {
  const tailStart = Math.max(0, file.size - EOCD_SEARCH);
  const tail = await file.read(tailStart, file.size - tailStart);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count > MAX_ENTRIES || cdOffset + cdSize > tailStart + eocd) return null;
  const cd = await file.read(cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIGNATURE) return null;
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLength > cd.length) return null;
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    entries.set(name, { name, method: cd.readUInt16LE(p + 10), compressedSize: cd.readUInt32LE(p + 20), localOffset: cd.readUInt32LE(p + 42) });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

async function entryText(file: ByteSource, entry: ZipEntry): Promise<string | null> {
  if (entry.compressedSize > MAX_CONTENT_TYPES_BYTES || entry.localOffset + 30 > file.size) return null;
  const local = await file.read(entry.localOffset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIGNATURE) return null;
  const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (start + entry.compressedSize > file.size) return null;
  const data = await file.read(start, entry.compressedSize);
  try {
    if (entry.method === 0) return data.toString('utf8');
    if (entry.method === 8) return inflateRawSync(data, { maxOutputLength: MAX_CONTENT_TYPES_BYTES }).toString('utf8');
  } catch {
    return null;
  }
  return null;
}
