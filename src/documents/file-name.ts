import { documentTypes, type DocumentType } from './content-type';

/**
 * A document's name as people wrote it ("Báo cáo quý 3.docx"), kept in Vietnamese: NFC, so the same
 * name typed on a phone and pasted from Word is the same, and safe to show and to save — no path,
 * no control or direction-changing characters, none of the characters Windows refuses in a name.
 */

const MAX_NAME = 200;
const UNSAFE = /[\p{Cc}\u202A-\u202E\u2066-\u2069<>:"/\\|?*]/gu;

export function documentFileName(given: string, type: DocumentType): string {
  const base = given.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base
    .replace(UNSAFE, '_')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/gu, '');
  const extension = documentTypes[type].extension;
  const hasExtension = name.toLowerCase().endsWith(extension) || (type === 'jpeg' && name.toLowerCase().endsWith('.jpeg'));
  let stem = hasExtension ? name.slice(0, name.lastIndexOf('.')) : name;
  const ext = hasExtension ? name.slice(name.lastIndexOf('.')) : extension;
  // Counted in code points, cut so that the extension survives.
  stem = [...stem]
    .slice(0, MAX_NAME - ext.length)
    .join('')
    .trim();
  name = `${stem || 'tài liệu'}${ext}`;
  return name;
}

/**
 * `attachment` with both names (RFC 6266): `filename*` carries the Vietnamese name (RFC 5987,
 * UTF-8), `filename` an ASCII stand-in for the few clients that read only that one.
 */
export function contentDisposition(name: string): string {
  const ascii = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
