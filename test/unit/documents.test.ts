import assert from 'node:assert/strict';
import { DOCUMENT_PASS_GRACE_MS, issueDocumentPass, verifyDocumentPass } from '../../src/access/document-pass';
import { issueJoinToken, verifyJoinToken } from '../../src/access/join-tokens';
import { bufferSource, detectDocumentType } from '../../src/documents/content-type';
import { contentDisposition, documentFileName } from '../../src/documents/file-name';
import { docxFile, exeFile, jpegFile, pdfFile, pngFile, xlsxFile, zipFile } from '../support/document-files';

const detect = (b: Buffer) => detectDocumentType(bufferSource(b));

describe('documents: the type is decided by the bytes', () => {
  it('knows a real PDF, DOCX, XLSX, PNG and JPEG', async () => {
    assert.equal(await detect(pdfFile()), 'pdf');
    assert.equal(await detect(docxFile()), 'docx');
    assert.equal(await detect(xlsxFile()), 'xlsx');
    assert.equal(await detect(pngFile()), 'png');
    assert.equal(await detect(jpegFile()), 'jpeg');
  });

  it('takes a PDF with padding after %%EOF and a JPEG with bytes after its end marker', async () => {
    assert.equal(await detect(Buffer.concat([pdfFile(), Buffer.from('\r\n\0\0')])), 'pdf');
    assert.equal(await detect(Buffer.concat([jpegFile(), Buffer.alloc(10)])), 'jpeg');
  });

  it('refuses a Windows program, whatever it is called', async () => {
    assert.equal(await detect(exeFile()), null);
    // An .exe with a PDF's first bytes glued on is still not a whole PDF.
    assert.equal(await detect(Buffer.concat([Buffer.from('%PDF-1.4\n'), exeFile()])), null);
  });

  it('refuses a ZIP that is not an Office document, and one that only claims to be', async () => {
    assert.equal(await detect(zipFile({ 'a.txt': 'xin chào', 'b/c.txt': 'hello' })), null);
    // [Content_Types].xml names the Word main part, but there is no word/document.xml.
    const content = docxFile();
    const claimsOnly = zipFile({
      '[Content_Types].xml':
        '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    });
    assert.equal(await detect(claimsOnly), null);
    // Word's parts without [Content_Types].xml: not OOXML.
    assert.equal(await detect(zipFile({ 'word/document.xml': '<w:document/>' })), null);
    assert.equal(await detect(content), 'docx');
  });

  it('refuses truncated files of every kind', async () => {
    for (const [kind, file] of Object.entries({ pdf: pdfFile(), docx: docxFile(), xlsx: xlsxFile(), png: pngFile(), jpeg: jpegFile() })) {
      for (const keep of [4, 11, Math.floor(file.length / 2), file.length - 3]) {
        assert.equal(await detect(file.subarray(0, keep)), null, `${kind} cut to ${keep} of ${file.length} bytes`);
      }
    }
  });

  it('refuses text, empty files and random bytes', async () => {
    assert.equal(await detect(Buffer.from('Giấy mời họp giao ban tháng 12')), null);
    assert.equal(await detect(Buffer.alloc(0)), null);
    assert.equal(await detect(Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Array(100).fill(7)])), null);
  });
});

describe('documents: file names stay Vietnamese and safe', () => {
  it('keeps the Vietnamese name, in NFC', () => {
    const decomposed = 'Báo cáo quý 3.docx'.normalize('NFD');
    const name = documentFileName(decomposed, 'docx');
    assert.equal(name, 'Báo cáo quý 3.docx');
    assert.equal(name, name.normalize('NFC'));
  });

  it('drops any path and the characters no file system takes', () => {
    assert.equal(documentFileName('C:\\Users\\cán bộ\\Tờ trình.pdf', 'pdf'), 'Tờ trình.pdf');
    assert.equal(documentFileName('../../etc/passwd.pdf', 'pdf'), 'passwd.pdf');
    assert.equal(documentFileName('a<b>:c"d|e?f*g.pdf', 'pdf'), 'a_b__c_d_e_f_g.pdf');
    assert.equal(documentFileName('line\nbreak\u202Efdp.exe', 'pdf'), 'line_break_fdp.exe.pdf');
    assert.equal(documentFileName('...', 'png'), 'tài liệu.png');
    assert.equal(documentFileName('', 'jpeg'), 'tài liệu.jpg');
  });

  it('gives the name the extension of what the file is', () => {
    assert.equal(documentFileName('Ảnh hội trường.JPEG', 'jpeg'), 'Ảnh hội trường.JPEG');
    assert.equal(documentFileName('Bảng kê', 'xlsx'), 'Bảng kê.xlsx');
    assert.equal(documentFileName('bao-cao.docx', 'pdf'), 'bao-cao.docx.pdf');
  });

  it('cuts a long name to 200 characters and keeps its extension', () => {
    const name = documentFileName(`${'Đ'.repeat(300)}.pdf`, 'pdf');
    assert.equal([...name].length, 200);
    assert.ok(name.endsWith('Đ.pdf'));
  });

  it('sends both names in Content-Disposition (RFC 6266, filename* per RFC 5987)', () => {
    assert.equal(
      contentDisposition('Báo cáo "quý" 3 (đợt 1).pdf'),
      `attachment; filename="Bao cao _quy_ 3 (dot 1).pdf"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22qu%C3%BD%22%203%20%28%C4%91%E1%BB%A3t%201%29.pdf`,
    );
  });
});

describe('documents: the pass the join page reads them with', () => {
  const secret = 'join-secret-for-the-unit-tests-0123';
  const endsAt = new Date('2026-12-08T04:00:00Z');
  const claims = { meetingId: 'a1b2c3d4-0000-4000-8000-000000000001', room: 2001, holder: 'Xã Ia Pal', meetingEndsAt: endsAt };

  it('opens one meeting in one room until an hour after its end', () => {
    const pass = issueDocumentPass(secret, claims);
    const during = verifyDocumentPass(secret, pass, { room: 2001, now: new Date(endsAt.getTime() - 1000) });
    assert.ok(during.ok && during.claims.meetingId === claims.meetingId && during.claims.name === 'Xã Ia Pal');
    assert.ok(verifyDocumentPass(secret, pass, { room: 2001, now: new Date(endsAt.getTime() + DOCUMENT_PASS_GRACE_MS - 1) }).ok);
    assert.deepEqual(verifyDocumentPass(secret, pass, { room: 2001, now: new Date(endsAt.getTime() + DOCUMENT_PASS_GRACE_MS) }), {
      ok: false,
      reason: 'expired',
    });
    assert.deepEqual(verifyDocumentPass(secret, pass, { room: 2002, now: endsAt }), { ok: false, reason: 'room' });
    assert.deepEqual(verifyDocumentPass('another-secret-0123456789', pass, { room: 2001, now: endsAt }), { ok: false, reason: 'signature' });
  });

  it('is no join token, and a join token is no pass', () => {
    const pass = issueDocumentPass(secret, claims);
    assert.deepEqual(verifyJoinToken(secret, pass, { room: 2001, now: endsAt }), { ok: false, reason: 'signature' });
    const token = issueJoinToken(secret, { meetingId: claims.meetingId, room: 2001, name: 'Khách', expiresAt: endsAt });
    assert.deepEqual(verifyDocumentPass(secret, token, { room: 2001, now: new Date(endsAt.getTime() - 1000) }), { ok: false, reason: 'signature' });
  });
});
