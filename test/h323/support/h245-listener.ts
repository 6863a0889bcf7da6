/**
 * The scripted endpoint's separate H.245 channel: a TCP listener the gateway connects to when
 * the endpoint does not tunnel (H.245 PDUs in TPKT). Keeps every PDU received, raw and decoded.
 */
import { createServer, type Server, type Socket } from 'node:net';
import * as h245 from '../../../src/h323/asn1/generated/h245';
import type { ChoiceValue } from '../../../src/h323/asn1/types';
import type { IpPort } from '../../../src/h323/messages/common';
import { isChoice } from '../../../src/h323/messages/read';
import { perDecode, perEncode } from '../../../src/h323/per';
import { TpktReader, tpktFrame } from '../../../src/h323/q931/tpkt';

export class H245Listener {
  readonly raw: Uint8Array[] = [];
  readonly received: ChoiceValue[] = [];
  readonly connected: Promise<Socket>;
  readonly closed: Promise<void>;
  private socket: Socket | undefined;
  private readonly waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly address: IpPort,
  ) {
    let onClosed: () => void = () => undefined;
    this.closed = new Promise((r) => {
      onClosed = r;
    });
    this.connected = new Promise((resolve) => {
      server.once('connection', (s) => {
        this.socket = s;
        const reader = new TpktReader();
        s.on('data', (chunk) => {
          for (const pdu of reader.push(chunk)) {
            this.raw.push(pdu);
            const v = perDecode(h245.MultimediaSystemControlMessage, pdu);
            if (isChoice(v)) this.received.push(v);
          }
          for (const w of this.waiters.splice(0)) w();
        });
        s.on('error', () => undefined);
        s.on('close', () => onClosed());
        resolve(s);
      });
    });
  }

  static async open(host = '127.0.0.1'): Promise<H245Listener> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, host, () => r()));
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    return new H245Listener(server, { ip: host, port: a.port });
  }

  async waitFor(name: string, timeoutMs = 5000): Promise<ChoiceValue> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find((v) => isChoice(v.value) && `${v.choice}.${v.value.choice}` === name);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no ${name} on the H.245 channel`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(msgs: readonly ChoiceValue[]): void {
    for (const m of msgs) this.socket?.write(tpktFrame(perEncode(h245.MultimediaSystemControlMessage, m)));
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
