/**
 * A separate H.245 control channel (H.323 8.1.7 / H.245 over TCP with TPKT framing), for
 * endpoints that do not tunnel and give their h245Address in Setup or in a Facility (startH245).
 * We connect to it; the same H245Session runs over it as over the tunnel. A broken channel
 * only ends H.245, not the call: the media flows on the fast-start channels regardless.
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from '../../log';
import type { IpPort } from '../messages/common';
import { PerDecodeError } from '../per';
import { Q931DecodeError } from '../q931/errors';
import { TpktReader, tpktFrame } from '../q931/tpkt';

/** How long we wait for the endpoint to accept the H.245 connection (ms). */
const CONNECT_TIMEOUT_MS = 5000;

export class H245Channel {
  private readonly socket: Socket;
  private readonly reader = new TpktReader();
  private readonly queued: Uint8Array[] = [];
  private connected = false;
  private closed = false;

  constructor(
    to: IpPort,
    private readonly onPdu: (pdu: Uint8Array) => void,
    private readonly log: Logger,
  ) {
    this.socket = connect({ host: to.ip, port: to.port, timeout: CONNECT_TIMEOUT_MS });
    this.socket.setNoDelay(true);
    this.socket.once('connect', () => {
      this.connected = true;
      this.socket.setTimeout(0);
      for (const p of this.queued.splice(0)) this.socket.write(tpktFrame(p));
      log.info({ h245: `${to.ip}:${to.port}` }, 'H.245: separate channel connected');
    });
    this.socket.on('timeout', () => {
      log.info('H.245: the endpoint did not accept the H.245 connection');
      this.close();
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (err) => log.info({ err: err.message }, 'H.245: channel error'));
    this.socket.on('close', () => {
      this.closed = true;
    });
  }

  send(pdus: readonly Uint8Array[]): void {
    if (this.closed) return;
    if (!this.connected) {
      this.queued.push(...pdus);
      return;
    }
    for (const p of pdus) this.socket.write(tpktFrame(p));
  }

  /** Ends the channel after what is queued has been written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connected) this.socket.end(() => this.socket.destroy());
    else this.socket.destroy();
  }

  /** Cuts the channel at once. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      for (const pdu of this.reader.push(chunk)) this.onPdu(pdu);
    } catch (e) {
      if (!(e instanceof Q931DecodeError || e instanceof PerDecodeError)) throw e;
      this.log.warn({ err: e.message }, 'H.245: malformed TPKT on the separate channel; closing it');
      this.destroy();
    }
  }
}
