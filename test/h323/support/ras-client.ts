/**
 * The RAS side of the scripted H.323 endpoint: sends requests built with the project's message
 * builders and waits for the answer with the same requestSeqNum. Every datagram received from
 * the gatekeeper is kept (`received`) so a test can hand exactly those bytes to tshark.
 */
import { createSocket, type Socket } from 'node:dgram';
import * as h225 from '../../../src/h323/asn1/generated/h225';
import type { ChoiceValue } from '../../../src/h323/asn1/types';
import type { IpPort } from '../../../src/h323/messages/common';
import { getNumber, isChoice } from '../../../src/h323/messages/read';
import { perDecode, perEncode } from '../../../src/h323/per';

export class RasClient {
  readonly received: Uint8Array[] = [];
  private seq = 0;
  private readonly waiting = new Map<number, (m: ChoiceValue) => void>();

  private constructor(
    private readonly socket: Socket,
    readonly address: IpPort,
    private readonly gatekeeper: IpPort,
  ) {
    socket.on('message', (msg) => {
      this.received.push(Uint8Array.from(msg));
      const v = perDecode(h225.RasMessage, msg);
      if (!isChoice(v)) return;
      const seq = getNumber(v.value, 'requestSeqNum');
      const done = seq === undefined ? undefined : this.waiting.get(seq);
      if (done) {
        this.waiting.delete(seq!);
        done(v);
      }
    });
    socket.on('error', () => undefined);
  }

  static async open(gatekeeper: IpPort, host = '127.0.0.1'): Promise<RasClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    return new RasClient(socket, { ip: host, port: socket.address().port }, gatekeeper);
  }

  nextSeq(): number {
    this.seq = (this.seq % 65535) + 1;
    return this.seq;
  }

  /** Sends `build(seq)` and resolves with the reply carrying that seq (or rejects after timeoutMs). */
  request(build: (seq: number) => ChoiceValue, timeoutMs = 3000): Promise<ChoiceValue> {
    const seq = this.nextSeq();
    return new Promise<ChoiceValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`no RAS reply to seq ${seq}`));
      }, timeoutMs);
      this.waiting.set(seq, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.sendRaw(perEncode(h225.RasMessage, build(seq)));
    });
  }

  /** Sends an already encoded request (e.g. from a capture) and waits for the reply with its seq. */
  requestRaw(bytes: Uint8Array, seq: number, timeoutMs = 3000): Promise<ChoiceValue> {
    return new Promise<ChoiceValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`no RAS reply to seq ${seq}`));
      }, timeoutMs);
      this.waiting.set(seq, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.sendRaw(bytes);
    });
  }

  /** Sends octets as they are (garbage, truncations) to the gatekeeper. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.send(bytes, this.gatekeeper.port, this.gatekeeper.ip);
  }

  private closed = false;

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
