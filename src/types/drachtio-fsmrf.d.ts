/**
 * The part of drachtio-fsmrf 4.1 that diemcau uses. The package ships no typings; these are written
 * from its source (lib/mrf.js, lib/mediaserver.js, lib/endpoint.js) and cover only what we call.
 */
declare module 'drachtio-fsmrf' {
  import { EventEmitter } from 'node:events';

  namespace Mrf {
    interface ConnectOptions {
      address: string;
      port?: number;
      secret?: string;
      /** Where FreeSWITCH's outbound event socket calls back; defaults to the first non-loopback IPv4. */
      listenAddress?: string;
      listenPort?: number;
      advertisedAddress?: string;
      advertisedPort?: number;
      profile?: string;
    }

    interface EslEvent {
      getHeader(name: string): string | undefined;
      getBody(): string;
    }

    interface CreateEndpointOptions {
      remoteSdp?: string;
      codecs?: string | string[];
      headers?: Record<string, string>;
      is3pcc?: boolean;
    }

    interface PlayCollectOptions {
      file: string;
      min?: number;
      max?: number;
      tries?: number;
      timeout?: number;
      terminators?: string;
      invalidFile?: string;
      varName?: string;
      regexp?: string;
      digitTimeout?: number;
    }

    interface PlayCollectResult {
      digits: string;
      terminatorUsed?: string;
      invalidDigits?: string;
      playbackSeconds?: string;
      playbackMilliseconds?: string;
    }

    interface JoinOptions {
      profile?: string;
      pin?: string;
      /** camelCase conference flags, e.g. `{ moderator: true, mute: true }`. */
      flags?: Record<string, boolean>;
    }

    class MediaServer extends EventEmitter {
      readonly address: string;
      readonly currentSessions: number;
      readonly maxSessions: number;
      readonly cps: number;
      createEndpoint(opts?: CreateEndpointOptions): Promise<Endpoint>;
      api(command: string): Promise<string>;
      disconnect(): void;
      on(event: 'end' | 'connect' | 'ready', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
    }

    /** The SIP dialog between drachtio-server and FreeSWITCH for this endpoint (a drachtio-srf Dialog). */
    interface EndpointDialog extends EventEmitter {
      request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<unknown>;
      /** With a listener attached, drachtio-srf no longer answers the INFO itself: the listener must. */
      on(event: 'info', listener: (req: { get(header: string): string | undefined; readonly body: string }, res: { send(status: number): void }) => void): this;
      on(event: string, listener: (...args: never[]) => void): this;
    }

    class Endpoint extends EventEmitter {
      readonly uuid: string;
      readonly connected: boolean;
      readonly local: { sdp: string; mediaIp?: string; mediaPort?: string };
      readonly remote: { sdp: string; mediaIp?: string; mediaPort?: string };
      readonly conf: { memberId?: number; name?: string; uuid?: string };
      readonly dialog: EndpointDialog;
      /** The outbound event-socket connection of this channel (carries its conference events). */
      readonly conn: EventEmitter;
      play(file: string | string[]): Promise<unknown>;
      playCollect(opts: PlayCollectOptions): Promise<PlayCollectResult>;
      join(conference: string, opts?: JoinOptions): Promise<{ memberId: number; confUuid: string }>;
      set(name: string | Record<string, string>, value?: string): Promise<unknown>;
      api(command: string, args?: string | string[]): Promise<EslEvent>;
      execute(app: string, arg?: string): Promise<EslEvent>;
      getChannelVariables(includeMedia?: boolean): Promise<Record<string, string>>;
      /** Re-INVITE toward FreeSWITCH with a new remote SDP; resolves with FreeSWITCH's answer SDP. */
      modify(sdp: string): Promise<string>;
      destroy(): Promise<void>;
      on(event: 'destroy', listener: () => void): this;
      on(event: 'dtmf', listener: (evt: { dtmf: string; duration: string; source: string; ssrc?: string }) => void): this;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: unknown, opts?: { customEvents?: string[] });
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }

  export = Mrf;
}
