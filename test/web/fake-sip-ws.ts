import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for drachtio-server's SIP-over-WebSocket port (RFC 7118), just enough to see what the
 * join page sends: it records each INVITE and answers it as the test says (a final status, a
 * digest challenge as the bridge sends a caller it must identify, or dropping the connection). A
 * minimal RFC 6455 server, so the tests need no WebSocket package.
 */

export interface SipRequest {
  method: string;
  uri: string;
  /** Lower-case header names; the first value of each. */
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/**
 * What to do with an INVITE: answer with a final status (a 200 carries the SDP answer), challenge
 * it (407 with a fresh digest nonce, qop=auth), or drop the WebSocket (connection lost).
 */
export type InviteAction = { status: number; phrase: string; sdp?: string } | 'challenge' | 'drop';

/** What `digest()` found in an INVITE's Proxy-Authorization. */
export interface DigestCheck {
  username: string;
  /** The response is right for `password`, over a nonce this server issued, in its realm. */
  ok: boolean;
}

/** The digest realm of the challenges: the bridge uses its SIP domain (join-server.ts SIP_DOMAIN). */
export const FAKE_REALM = 'bridge.test';

export class FakeSipWebSocket {
  readonly invites: SipRequest[] = [];
  readonly byes: SipRequest[] = [];
  /** Responses the page sent (to the fake's own requests, e.g. the BYE of `hangUp`): status line and CSeq. */
  readonly responses: { status: number; cseq: string }[] = [];
  /** Decides per INVITE (0-based count); the default refuses with 486. */
  onInvite: (invite: SipRequest, index: number) => InviteAction | Promise<InviteAction> = () => ({ status: 486, phrase: 'Busy Here' });
  readonly #nonces = new Set<string>();
  readonly #sockets = new Set<Socket>();
  readonly #socketOf = new WeakMap<SipRequest, Socket>();
  #waiters: (() => void)[] = [];

  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSipWebSocket> {
    const server = createServer((_req, res) => res.writeHead(426).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const fake = new FakeSipWebSocket(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('upgrade', (req, socket) => fake.#accept(req, socket as Socket));
    return fake;
  }

  /** Resolves once `count` INVITEs have arrived. */
  async waitForInvites(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.invites.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} INVITEs, got ${this.invites.length}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  #accept(req: IncomingMessage, socket: Socket): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') return void socket.destroy();
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const protocol = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('sip')
      ? 'Sec-WebSocket-Protocol: sip\r\n'
      : '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${protocol}\r\n`);
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let message: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const frame = readFrame(buffer);
        if (!frame) return;
        buffer = buffer.subarray(frame.size);
        if (frame.opcode === 0x8) return void socket.end(frameOf(0x8, Buffer.alloc(0)));
        if (frame.opcode === 0x9) {
          socket.write(frameOf(0xa, frame.payload));
          continue;
        }
        if (frame.opcode !== 0x1 && frame.opcode !== 0x0) continue;
        message.push(frame.payload);
        if (!frame.fin) continue;
        const text = Buffer.concat(message).toString('utf8');
        message = [];
        void this.#onSip(text, socket);
      }
    });
  }

  async #onSip(text: string, socket: Socket): Promise<void> {
    const status = /^SIP\/2\.0 (\d{3}) /.exec(text);
    if (status) {
      this.responses.push({ status: Number(status[1]), cseq: /^CSeq:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? '' });
      return;
    }
    const request = parseRequest(text);
    if (request?.method === 'BYE') {
      this.byes.push(request);
      for (const w of this.#waiters.splice(0)) w();
      return void socket.write(frameOf(0x1, Buffer.from(response(request, 200, 'OK', request.headers['to'] ?? ''))));
    }
    if (request?.method !== 'INVITE') return; // ACK, CANCEL, keep-alive CRLF: nothing to do
    const index = this.invites.push(request) - 1;
    this.#socketOf.set(request, socket);
    for (const w of this.#waiters.splice(0)) w();
    const action = await this.onInvite(request, index);
    if (action === 'drop') return void socket.destroy();
    if (action === 'challenge') {
      const nonce = randomBytes(16).toString('hex');
      this.#nonces.add(nonce);
      const challenge = `Proxy-Authenticate: Digest realm="${FAKE_REALM}", nonce="${nonce}", qop="auth", algorithm=MD5`;
      return void socket.write(
        frameOf(0x1, Buffer.from(response(request, 407, 'Proxy Authentication Required', `${request.headers['to']};tag=fake${index}`, [challenge]))),
      );
    }
    const to = `${request.headers['to']};tag=fake${index}`;
    const extra = action.sdp ? [`Contact: <sip:bridge@${this.url.slice('ws://'.length)};transport=ws>`, 'Content-Type: application/sdp'] : [];
    socket.write(frameOf(0x1, Buffer.from(response(request, action.status, action.phrase, to, extra, action.sdp ?? ''))));
  }

  /**
   * Checks an INVITE's Proxy-Authorization the way the bridge does (RFC 2617, MD5, qop=auth):
   * HA1 = md5(user:realm:password), HA2 = md5(INVITE:uri), response = md5(HA1:nonce:nc:cnonce:auth:HA2).
   * Null when the INVITE carries none.
   */
  digest(invite: SipRequest, password: string): DigestCheck | null {
    const header = invite.headers['proxy-authorization'];
    if (!header?.startsWith('Digest ')) return null;
    const p: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g)) p[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
    const { username = '', realm, nonce = '', uri, response: given, cnonce, nc, qop } = p;
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${username}:${FAKE_REALM}:${password}`);
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${md5(`INVITE:${uri}`)}`);
    const ok = realm === FAKE_REALM && this.#nonces.has(nonce) && qop === 'auth' && uri === invite.uri && given === expected;
    return { username, ok };
  }

  /** The bridge hangs up: a BYE inside the dialog the INVITE number `index` set up (after a 200), with a Reason header if given. */
  hangUp(index: number, reason?: string): void {
    const invite = this.invites[index];
    const socket = invite && this.#socketOf.get(invite);
    if (!invite || !socket) throw new Error(`no call ${index} to hang up`);
    const target = /<([^>]+)>/.exec(invite.headers['contact'] ?? '')?.[1] ?? invite.headers['contact'];
    const bye = [
      `BYE ${target} SIP/2.0`,
      `Via: SIP/2.0/WS fake.invalid;branch=z9hG4bK${Date.now().toString(36)}`,
      'Max-Forwards: 70',
      `From: ${invite.headers['to']};tag=fake${index}`,
      `To: ${invite.headers['from']}`,
      `Call-ID: ${invite.headers['call-id']}`,
      'CSeq: 1 BYE',
      ...(reason ? [`Reason: ${reason}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.write(frameOf(0x1, Buffer.from(bye)));
  }

  /** Resolves once a BYE has arrived. */
  async waitForBye(timeoutMs = 10_000): Promise<SipRequest> {
    const deadline = Date.now() + timeoutMs;
    while (!this.byes.length) {
      if (Date.now() > deadline) throw new Error('expected a BYE');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return this.byes[0]!;
  }
}

function response(request: SipRequest, status: number, phrase: string, to: string, extra: string[] = [], body = ''): string {
  const h = request.headers;
  return [
    `SIP/2.0 ${status} ${phrase}`,
    `Via: ${h['via']}`,
    `From: ${h['from']}`,
    `To: ${to}`,
    `Call-ID: ${h['call-id']}`,
    `CSeq: ${h['cseq']}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

function parseRequest(text: string): SipRequest | null {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const lines = head.split('\r\n');
  const m = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] ??= line.slice(i + 1).trim();
  }
  return { method: m[1]!, uri: m[2]!, headers, body, raw: text };
}

function readFrame(buf: Buffer): { fin: boolean; opcode: number; payload: Buffer; size: number } | null {
  if (buf.length < 2) return null;
  const fin = (buf[0]! & 0x80) !== 0;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let length = buf[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return null;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskEnd = offset + (masked ? 4 : 0);
  if (buf.length < maskEnd + length) return null;
  const payload = Buffer.from(buf.subarray(maskEnd, maskEnd + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[offset + (i % 4)]!;
  return { fin, opcode, payload, size: maskEnd + length };
}

function frameOf(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}
