import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { TEST_REALM, TestApi } from '../support/api';
import { docxFile, exeFile, jpegFile, pdfFile, pngFile, xlsxFile, zipFile } from '../support/document-files';

const JOIN_SECRET = 'join-secret-for-the-documents-0123456789';
const LIMIT = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Sent {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
  body: any;
  bytes: Buffer;
}

describe('API: meeting documents', () => {
  let api: TestApi;
  let meetingA: string;
  let meetingB: string;
  const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

  /** A browser's form upload: one part named `file`, with the name and type the client claims. */
  const upload = async (
    meetingId: string,
    bytes: Buffer,
    name: string,
    options: { key?: string | null; claimedType?: string; headers?: Record<string, string> } = {},
  ) => {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: options.claimedType ?? 'application/pdf' }), name);
    const key = options.key === undefined ? api.tokens.operator : options.key;
    const res = await fetch(`${api.base}/api/v1/meetings/${meetingId}/documents`, {
      method: 'POST',
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
      body: form,
    });
    const text = await res.text();
    return { status: res.status, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined, text };
  };

  /** GET with bytes kept as bytes. */
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Sent> => {
    const res = await fetch(`${api.base}${path}`, { headers });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(bytes.toString('utf8')) : undefined;
    return { status: res.status, headers: res.headers, body: json, bytes };
  };
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const stored = async () => (await readdir(api.documentsDir)).length;
  const ticket = async (room: number, pin?: string) => {
    const res = await api.request('POST', `/api/v1/join/${room}/token`, { key: null, json: { name: 'Khách mời Hà', ...(pin ? { pin } : {}) } });
    assert.equal(res.status, 201, res.text);
    return res.body as { token: string; documentsPass: string };
  };

  before(async () => {
    api = await TestApi.start({
      documentMaxBytes: LIMIT,
      deps: (ds) => ({
        join: {
          ds,
          sipDomain: TEST_REALM,
          openBeforeMs: 15 * 60_000,
          tokenSecret: JOIN_SECRET,
          wsServers: ['ws://127.0.0.1:9'],
          iceServers: [],
          pinFailures: new FailureLimiter({ maxFailures: 1000, windowMs: 1000, blockMs: 1 }),
        },
      }),
    });
    const site = async (code: string, sip: boolean) => {
      const res = await api.request('POST', '/api/v1/sites', {
        json: { code, name: `Xã ${code}`, ...(sip ? { sipUsername: code, sipPassword: 'mật-khẩu-điểm-cầu' } : {}) },
      });
      assert.equal(res.status, 201, res.text);
    };
    await site('dc-ia-pal', true);
    await site('dc-khac', true);
    const book = async (json: object) => {
      const res = await api.request('POST', '/api/v1/meetings', { json: { startsAt: at(-5), endsAt: at(120), allowGuests: true, ...json } });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    meetingA = await book({ title: 'Giao ban tháng 12', roomNumber: 2001, invitedSites: ['dc-ia-pal'] });
    meetingB = await book({ title: 'Họp khác', roomNumber: 2002, invitedSites: ['dc-khac'] });
  });
  after(async () => api?.close());

  describe('upload, list, download, delete', () => {
    it('stores a PDF under its Vietnamese name, with the type found in it, its size and SHA-256, and audits it', async () => {
      const pdf = pdfFile();
      const res = await upload(meetingA, pdf, 'Giấy mời họp.pdf'.normalize('NFD'), { claimedType: 'text/plain' });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.name, 'Giấy mời họp.pdf');
      assert.equal(res.body.mediaType, 'application/pdf');
      assert.equal(res.body.size, pdf.length);
      assert.equal(res.body.sha256, sha256(pdf));
      assert.equal(res.body.uploadedBy, 'apikey:test-operator');
      const [audit] = await api.ds.query(
        `SELECT actor, detail FROM audit_event WHERE action = 'document.upload' AND resource_id = $1 AND detail->>'documentId' = $2`,
        [meetingA, res.body.id],
      );
      assert.equal(audit.actor, 'apikey:test-operator');
      assert.equal(audit.detail.sha256, sha256(pdf));

      const list = await api.request('GET', `/api/v1/meetings/${meetingA}/documents`, { key: api.tokens.viewer });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        list.body.items.filter((d: { id: string }) => d.id === res.body.id),
        [res.body],
      );
      const file = await get(`/api/v1/meetings/${meetingA}/documents/${res.body.id}`, bearer(api.tokens.viewer));
      assert.equal(file.status, 200);
      assert.ok(file.bytes.equals(pdf));
      assert.equal(file.headers.get('content-type'), 'application/pdf');
      assert.equal(
        file.headers.get('content-disposition'),
        `attachment; filename="Giay moi hop.pdf"; filename*=UTF-8''Gi%E1%BA%A5y%20m%E1%BB%9Di%20h%E1%BB%8Dp.pdf`,
      );
      assert.equal(file.headers.get('etag'), `"${sha256(pdf)}"`);
      const part = await get(`/api/v1/meetings/${meetingA}/documents/${res.body.id}`, { ...bearer(api.tokens.viewer), range: 'bytes=0-7' });
      assert.equal(part.status, 206);
      assert.equal(part.bytes.toString('latin1'), '%PDF-1.4');
      assert.equal(part.headers.get('content-range'), `bytes 0-7/${pdf.length}`);
      const beyond = await get(`/api/v1/meetings/${meetingA}/documents/${res.body.id}`, { ...bearer(api.tokens.viewer), range: `bytes=${pdf.length}-` });
      assert.equal(beyond.status, 416);
    });

    it('takes DOCX, XLSX, PNG and JPEG, each typed by its content', async () => {
      const cases = [
        [docxFile(), 'Báo cáo quý 3.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
        [xlsxFile(), 'Bảng kê kinh phí.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        [pngFile(), 'Sơ đồ hội trường.png', 'image/png'],
        [jpegFile(), 'Ảnh.jpg', 'image/jpeg'],
      ] as const;
      for (const [bytes, name, type] of cases) {
        const res = await upload(meetingB, bytes, name, { claimedType: 'application/octet-stream' });
        assert.equal(res.status, 201, `${name}: ${res.text}`);
        assert.equal(res.body.mediaType, type);
        assert.equal(res.body.name, name);
      }
    });

    it('refuses with 415 what is not a whole document of an accepted kind, and keeps nothing', async () => {
      const before = await stored();
      const liars: [Buffer, string][] = [
        [exeFile(), 'Giấy mời.pdf'],
        [zipFile({ 'a.txt': 'xin chào' }), 'Báo cáo.docx'],
        [pdfFile().subarray(0, 100), 'Cắt dở.pdf'],
        [Buffer.from('<html><script>alert(1)</script>'), 'trang.png'],
      ];
      for (const [bytes, name] of liars) {
        const res = await upload(meetingA, bytes, name);
        assert.equal(res.status, 415, `${name}: ${res.text}`);
        assert.equal(res.body.status, 415);
        assert.match(res.body.detail, /decided from its content/);
      }
      const json = await api.request('POST', `/api/v1/meetings/${meetingA}/documents`, { key: api.tokens.operator, json: { file: 'x' } });
      assert.equal(json.status, 415, json.text);
      assert.equal(await stored(), before);
    });

    it('refuses with 413 a file over DOCUMENT_MAX_MB, however it is sent, and keeps nothing', async () => {
      const before = await stored();
      const big = Buffer.concat([pdfFile(), Buffer.alloc(LIMIT)]);
      const res = await upload(meetingA, big, 'Quá lớn.pdf');
      assert.equal(res.status, 413, res.text);
      assert.equal(res.body.maxBytes, LIMIT);
      // Without a Content-Length to refuse it by: counted while it streams.
      const form = new FormData();
      form.append('file', new Blob([big]), 'Quá lớn.pdf');
      const body = new Response(form);
      const chunked = await fetch(`${api.base}/api/v1/meetings/${meetingA}/documents`, {
        method: 'POST',
        headers: { ...bearer(api.tokens.operator), 'content-type': body.headers.get('content-type')! },
        body: body.body,
        duplex: 'half',
      } as RequestInit);
      assert.equal(chunked.status, 413, await chunked.text());
      assert.equal(await stored(), before);
    });

    it('answers 400 for a form without a file, and 404 for a meeting that does not exist', async () => {
      const form = new FormData();
      form.append('note', 'không có tệp');
      const res = await fetch(`${api.base}/api/v1/meetings/${meetingA}/documents`, { method: 'POST', headers: bearer(api.tokens.operator), body: form });
      assert.equal(res.status, 400);
      const missing = await upload('00000000-0000-4000-8000-000000000000', pdfFile(), 'a.pdf');
      assert.equal(missing.status, 404, missing.text);
    });

    it('answers broken multipart bodies with a 4xx problem, never a 500', async () => {
      const b = 'ranh-gioi';
      const part = (headers: string, body: string | Buffer) =>
        Buffer.concat([Buffer.from(`--${b}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
      const cases: [string, string, Buffer][] = [
        ['no boundary', 'multipart/form-data', Buffer.from('xyz')],
        ['boundary never seen', `multipart/form-data; boundary=${b}`, Buffer.from('just text')],
        ['empty body', `multipart/form-data; boundary=${b}`, Buffer.alloc(0)],
        ['form cut before its end', `multipart/form-data; boundary=${b}`, part('Content-Disposition: form-data; name="file"; filename="a.pdf"', pdfFile())],
        [
          'part without a disposition',
          `multipart/form-data; boundary=${b}`,
          Buffer.concat([part('Content-Type: application/pdf', pdfFile()), Buffer.from(`--${b}--\r\n`)]),
        ],
        [
          'empty file',
          `multipart/form-data; boundary=${b}`,
          Buffer.concat([part('Content-Disposition: form-data; name="file"; filename="a.pdf"', ''), Buffer.from(`--${b}--\r\n`)]),
        ],
        [
          'header flood',
          `multipart/form-data; boundary=${b}`,
          Buffer.concat([part(Array.from({ length: 200 }, (_, i) => `X-${i}: y`).join('\r\n'), 'x'), Buffer.from(`--${b}--\r\n`)]),
        ],
        ['mixed, not form-data', `multipart/mixed; boundary=${b}`, Buffer.from(`--${b}--\r\n`)],
      ];
      const before = await stored();
      for (const [what, contentType, body] of cases) {
        const res = await api.request('POST', `/api/v1/meetings/${meetingA}/documents`, { key: api.tokens.operator, contentType, body });
        assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
      }
      // A name in RFC 5987 form (filename*) is read as well as a raw UTF-8 one.
      const star = Buffer.concat([
        part(`Content-Disposition: form-data; name="file"; filename*=UTF-8''${encodeURIComponent('Tờ trình số 12.pdf')}`, pdfFile()),
        Buffer.from(`--${b}--\r\n`),
      ]);
      const res = await api.request('POST', `/api/v1/meetings/${meetingA}/documents`, {
        key: api.tokens.operator,
        contentType: `multipart/form-data; boundary=${b}`,
        body: star,
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.name, 'Tờ trình số 12.pdf');
      assert.equal(await stored(), before + 1);
    });

    it('lets go of an upload whose client leaves halfway: no spool file, nothing stored', async () => {
      const spools = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('diemcau-upload-')).length;
      const before = { spools: await spools(), stored: await stored() };
      const boundary = 'ranh-gioi-123';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="Dở dang.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
      const url = new URL(api.base);
      const socket = connect(Number(url.port), url.hostname);
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(
        `POST /api/v1/meetings/${meetingA}/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.operator}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 50000\r\n\r\n${head}`,
      );
      socket.write(pdfFile().subarray(0, 200));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await spools(), before.spools + 1, 'the upload is being spooled');
      socket.destroy();
      for (let i = 0; i < 50 && (await spools()) > before.spools; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await spools(), before.spools);
      assert.equal(await stored(), before.stored);
      assert.equal((await api.request('GET', `/api/v1/meetings/${meetingA}/documents`)).status, 200);
    });

    it('lets operators delete (row, bytes, audit) and viewers only read', async () => {
      const doc = (await upload(meetingA, pngFile(), 'Xoá tôi.png')).body;
      const before = await stored();
      assert.equal((await upload(meetingA, pngFile(), 'a.png', { key: api.tokens.viewer })).status, 403);
      assert.equal((await api.request('DELETE', `/api/v1/meetings/${meetingA}/documents/${doc.id}`, { key: api.tokens.viewer })).status, 403);
      // Another meeting's id does not reach it.
      assert.equal((await api.request('DELETE', `/api/v1/meetings/${meetingB}/documents/${doc.id}`, { key: api.tokens.operator })).status, 404);
      const res = await api.request('DELETE', `/api/v1/meetings/${meetingA}/documents/${doc.id}`, { key: api.tokens.operator });
      assert.equal(res.status, 204, res.text);
      assert.equal(await stored(), before - 1);
      assert.equal((await get(`/api/v1/meetings/${meetingA}/documents/${doc.id}`, bearer(api.tokens.viewer))).status, 404);
      const audit = await api.ds.query(`SELECT actor FROM audit_event WHERE action = 'document.delete' AND detail->>'documentId' = $1`, [doc.id]);
      assert.equal(audit.length, 1);
    });
  });

  describe('who may read', () => {
    let docA: string;
    before(async () => {
      docA = (await upload(meetingA, docxFile(), 'Chương trình họp.docx')).body.id;
    });
    const joinList = (room: number, pass?: string) => get(`/api/v1/join/${room}/documents${pass ? `?pass=${encodeURIComponent(pass)}` : ''}`);
    const joinFile = (room: number, id: string, pass: string) => get(`/api/v1/join/${room}/documents/${id}?pass=${encodeURIComponent(pass)}`);

    it('operators, admins and viewers by API key', async () => {
      for (const key of [api.tokens.admin, api.tokens.operator, api.tokens.viewer]) {
        assert.equal((await get(`/api/v1/meetings/${meetingA}/documents/${docA}`, bearer(key))).status, 200);
      }
    });

    it('a signed-in console session', async () => {
      const op = await api.request('POST', '/api/v1/operators', {
        json: { username: 'dc-viewer', name: 'Người Xem', role: 'viewer', password: 'mật khẩu đủ dài' },
      });
      assert.equal(op.status, 201, op.text);
      const session = await api.request('POST', '/api/v1/session', { key: null, json: { username: 'dc-viewer', password: 'mật khẩu đủ dài' } });
      const cookie = /^(diemcau_session=[^;]*)/.exec(session.headers.get('set-cookie') ?? '')?.[1] ?? '';
      assert.ok(cookie);
      const list = await get(`/api/v1/meetings/${meetingA}/documents`, { cookie });
      assert.equal(list.status, 200);
      assert.ok(list.body.items.some((d: { id: string }) => d.id === docA));
      assert.equal((await get(`/api/v1/meetings/${meetingA}/documents/${docA}`, { cookie })).status, 200);
    });

    it('a guest holding the pass from a join ticket for that meeting', async () => {
      const { documentsPass } = await ticket(2001);
      const list = await joinList(2001, documentsPass);
      assert.equal(list.status, 200);
      const item = list.body.items.find((d: { id: string }) => d.id === docA);
      assert.deepEqual(Object.keys(item).sort(), ['id', 'mediaType', 'name', 'size', 'uploadedAt']);
      const file = await joinFile(2001, docA, documentsPass);
      assert.equal(file.status, 200);
      assert.ok(file.bytes.equals(docxFile()));
      assert.match(file.headers.get('content-disposition') ?? '', /filename\*=UTF-8''Ch%C6%B0%C6%A1ng/);
    });

    it('an invited site signed in with its SIP credentials', async () => {
      const res = await api.request('POST', '/api/v1/join/2001/site-pass', { key: null, json: { username: 'dc-ia-pal', password: 'mật-khẩu-điểm-cầu' } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.holder, 'Xã dc-ia-pal');
      assert.equal((await joinList(2001, res.body.pass)).status, 200);
      assert.equal((await joinFile(2001, docA, res.body.pass)).status, 200);
    });

    it('not a site that is not invited, nor one with a wrong password', async () => {
      const uninvited = await api.request('POST', '/api/v1/join/2001/site-pass', { key: null, json: { username: 'dc-khac', password: 'mật-khẩu-điểm-cầu' } });
      assert.equal(uninvited.status, 403, uninvited.text);
      assert.equal(uninvited.body.reason, 'not-invited');
      const wrong = await api.request('POST', '/api/v1/join/2001/site-pass', { key: null, json: { username: 'dc-ia-pal', password: 'sai-mật-khẩu' } });
      assert.equal(wrong.status, 403, wrong.text);
      assert.equal(wrong.body.reason, 'wrong-credentials');
      const unknown = await api.request('POST', '/api/v1/join/2001/site-pass', { key: null, json: { username: 'khong-co', password: 'x' } });
      assert.equal(unknown.status, 403, unknown.text);
    });

    it('not a guest whose pass is for another meeting', async () => {
      const { documentsPass } = await ticket(2002);
      const otherRoom = await joinList(2001, documentsPass);
      assert.equal(otherRoom.status, 403, otherRoom.bytes.toString());
      // In its own room it opens its own meeting only: meeting A's document is not there.
      const ownRoom = await joinFile(2002, docA, documentsPass);
      assert.equal(ownRoom.status, 404);
      const listB = await joinList(2002, documentsPass);
      assert.ok(!listB.body.items.some((d: { id: string }) => d.id === docA));
    });

    it('nobody else: no pass, a forged one, a join token instead of a pass, no key', async () => {
      assert.equal((await joinList(2001)).status, 401);
      assert.equal((await joinList(2001, 'abc.def')).status, 401);
      const { token, documentsPass } = await ticket(2001);
      assert.equal((await joinList(2001, token)).status, 401, 'a join token places a call; it does not read documents');
      const [body, sig] = documentsPass.split('.') as [string, string];
      assert.equal((await joinList(2001, `${body}.${sig.slice(0, -2)}AA`)).status, 401);
      assert.equal((await get(`/api/v1/meetings/${meetingA}/documents`)).status, 401);
      assert.equal((await get(`/api/v1/meetings/${meetingA}/documents/${docA}`)).status, 401);
      assert.equal((await upload(meetingA, pdfFile(), 'a.pdf', { key: null })).status, 401);
    });
  });

  it('pushes document.added to the join page stream of that meeting only', async () => {
    const { documentsPass } = await ticket(2001);
    const other = (await ticket(2002)).documentsPass;
    const open = async (room: number, pass: string) => {
      const controller = new AbortController();
      const res = await fetch(`${api.base}/api/v1/join/${room}/events?pass=${encodeURIComponent(pass)}`, { signal: controller.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      const until = async (pattern: RegExp, ms: number) => {
        const deadline = Date.now() + ms;
        while (!pattern.test(text) && Date.now() < deadline) {
          const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
          if (!chunk || chunk.done) break;
          text += Buffer.from(chunk.value).toString('utf8');
        }
        return pattern.test(text);
      };
      return { until, text: () => text, close: () => controller.abort() };
    };
    const mine = await open(2001, documentsPass);
    const theirs = await open(2002, other);
    try {
      assert.ok(await mine.until(/event: hello/, 2000));
      assert.ok(await theirs.until(/event: hello/, 2000));
      const doc = (await upload(meetingA, pngFile(), 'Ảnh mới.png')).body;
      assert.ok(await mine.until(/event: document\.added/, 3000), mine.text());
      assert.match(mine.text(), new RegExp(`"id":"${doc.id}"`));
      assert.match(mine.text(), /"name":"Ảnh mới.png"/);
      assert.ok(!(await theirs.until(/document\.added/, 300)), 'another meeting hears nothing of it');

      // Presentations are for the page too (to watch, or to stop its own sharing); the roster is not.
      const presenter = { participantId: 'p-ia-pal', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'sip' };
      api.events.publish(meetingA, {
        type: 'participant.joined',
        participant: { id: 'p-secret', name: 'Khách', siteId: null, protocol: 'webrtc', direction: 'in', moderator: false },
      });
      // Whatever else a future event holds stays on the server.
      api.events.publish(meetingA, { type: 'content.started', presenter: { ...presenter, since: 'x' } as typeof presenter });
      api.events.publish(meetingA, { type: 'content.stopped', presenter, reason: 'taken-over' });
      assert.ok(await mine.until(/event: content\.stopped\n/, 3000), mine.text());
      const data = (type: string) => JSON.parse(new RegExp(`event: ${type.replace('.', '\\.')}\ndata: (.*)\n`).exec(mine.text())![1]!);
      assert.deepEqual(data('content.started').presenter, presenter);
      assert.deepEqual(data('content.stopped').presenter, presenter);
      assert.equal(data('content.stopped').reason, 'taken-over');
      assert.doesNotMatch(mine.text(), /participant\.joined|p-secret|"since"/);
    } finally {
      mine.close();
      theirs.close();
    }
  });
});
