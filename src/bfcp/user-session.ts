/**
 * One floor participant's BFCP dialogue with the bridge (the floor control server): maps its
 * requests onto the meeting's ContentFloor and the floor's changes onto FloorRequestStatus and
 * FloorStatus messages. Pure of I/O: messages leave through the SessionLink.
 */
import type { ContentFloor, FloorChange } from '../content/floor';
import { AttributeType, ErrorCode, type ErrorCodeValue, Primitive, RequestStatus, type RequestStatusValue } from './constants';
import type { BfcpBody, BfcpMessage, FloorRequestInformation, UserInformation } from './message';

export interface BfcpUserOptions {
  readonly conferenceId: number;
  readonly userId: number;
  readonly floorId: number;
  readonly transport: 'udp' | 'tcp';
  readonly floor: ContentFloor;
  readonly holderKey: string;
  readonly displayName?: string;
}

export interface SessionLink {
  /** Answers the request `m` (R set, its transaction id). */
  respond(m: BfcpMessage, body: BfcpBody): void;
  /** A server-initiated FloorRequestStatus or FloorStatus (acknowledged over UDP). */
  notify(body: BfcpBody): void;
}

/** What other sessions on the same floor show in a FloorStatus. */
export interface FloorDirectory {
  requestOf(holderKey: string): { readonly floorRequestId: number; readonly user: UserInformation } | undefined;
  /** A floor request id for a holder that is not a BFCP user (H.239, browser). */
  externalRequestId(holderKey: string): number;
}

const SUPPORTED_PRIMITIVES = Object.values(Primitive).filter((p) => p !== Primitive.ChairAction && p !== Primitive.ChairActionAck);
const SUPPORTED_ATTRIBUTES = Object.values(AttributeType);
// Display names travel inside grouped attributes limited to 255 octets.
const MAX_NAME_BYTES = 64;

export class BfcpUserSession {
  private request?: { readonly id: number; status: RequestStatusValue };
  private subscribed = false;
  private deferring = false;
  private deferred: FloorChange[] = [];
  private readonly unsubscribe: () => void;
  readonly user: UserInformation;

  constructor(
    readonly opts: BfcpUserOptions,
    private readonly link: SessionLink,
    private readonly nextRequestId: () => number,
    private readonly directory: FloorDirectory,
  ) {
    this.user = { userId: opts.userId, ...(opts.displayName && { displayName: truncateUtf8(opts.displayName, MAX_NAME_BYTES) }) };
    this.unsubscribe = opts.floor.onChange((ev) => {
      if (this.deferring) this.deferred.push(ev);
      else this.apply(ev);
    });
  }

  /** The user's floor request id while it holds or waits for the floor. */
  get floorRequestId(): number | undefined {
    return this.request?.id;
  }

  /** A request (R clear) from this user. */
  handle(m: BfcpMessage): void {
    switch (m.primitive) {
      case 'Hello':
        return this.link.respond(m, { primitive: 'HelloAck', supportedPrimitives: SUPPORTED_PRIMITIVES, supportedAttributes: SUPPORTED_ATTRIBUTES });
      case 'FloorRequest':
        if (m.floorIds.some((f) => f !== this.opts.floorId)) return this.error(m, ErrorCode.InvalidFloorId, 'unknown floor');
        if (m.beneficiaryId !== undefined && m.beneficiaryId !== this.opts.userId) {
          return this.error(m, ErrorCode.UnauthorizedOperation, 'third-party floor requests are not allowed');
        }
        return this.floorRequest(m);
      case 'FloorRelease':
        if (m.floorRequestId !== this.request?.id) return this.error(m, ErrorCode.FloorRequestIdDoesNotExist, 'no such floor request');
        return this.whileDeferring(() => {
          const id = this.request!.id;
          this.request = undefined;
          this.opts.floor.release(this.opts.holderKey);
          this.link.respond(m, { primitive: 'FloorRequestStatus', floorRequestInformation: this.info(id, RequestStatus.Released) });
        });
      case 'FloorRequestQuery':
        if (m.floorRequestId !== this.request?.id) return this.error(m, ErrorCode.FloorRequestIdDoesNotExist, 'no such floor request');
        return this.link.respond(m, { primitive: 'FloorRequestStatus', floorRequestInformation: this.ownInfo()! });
      case 'UserQuery': {
        if (m.beneficiaryId !== undefined && m.beneficiaryId !== this.opts.userId) return this.error(m, ErrorCode.UnauthorizedOperation, 'other users');
        const own = this.ownInfo();
        return this.link.respond(m, { primitive: 'UserStatus', beneficiary: this.user, floorRequests: own ? [own] : [] });
      }
      case 'FloorQuery':
        if (m.floorIds.some((f) => f !== this.opts.floorId)) return this.error(m, ErrorCode.InvalidFloorId, 'unknown floor');
        // An empty FloorQuery ends the subscription (RFC 8855 §11.5).
        this.subscribed = m.floorIds.length > 0;
        return this.link.respond(m, this.floorStatus());
      case 'Goodbye':
        this.leave();
        this.subscribed = false;
        return this.link.respond(m, { primitive: 'GoodbyeAck' });
      case 'ChairAction':
        return this.error(m, ErrorCode.UnauthorizedOperation, 'this conference has no floor chair');
      default:
        return this.error(m, ErrorCode.UnknownPrimitive, `${m.primitive} is not a request to a floor control server`);
    }
  }

  /** The user is gone: its request leaves the floor, nothing more is sent. */
  close(): void {
    this.unsubscribe();
    this.leave();
  }

  private leave(): void {
    if (!this.request) return;
    this.request = undefined;
    this.opts.floor.leave(this.opts.holderKey);
  }

  private floorRequest(m: BfcpMessage): void {
    if (this.request) {
      // Asking again (e.g. after a lost answer on a new transaction): the same request's status.
      return this.link.respond(m, { primitive: 'FloorRequestStatus', floorRequestInformation: this.ownInfo()! });
    }
    this.whileDeferring(() => {
      const request = { id: this.nextRequestId(), status: RequestStatus.Pending as RequestStatusValue };
      this.request = request;
      const r = this.opts.floor.request(this.opts.holderKey);
      if (r.granted) {
        // Answer Pending; the grant follows as its own FloorRequestStatus from the deferred change.
        this.link.respond(m, { primitive: 'FloorRequestStatus', floorRequestInformation: this.info(request.id, RequestStatus.Pending) });
        if (this.opts.floor.holder === this.opts.holderKey && !this.deferred.some((ev) => ev.holder === this.opts.holderKey)) {
          this.deferred.push({ holder: this.opts.holderKey, previous: this.opts.holderKey, reason: 'granted' });
        }
      } else {
        request.status = RequestStatus.Accepted;
        this.link.respond(m, { primitive: 'FloorRequestStatus', floorRequestInformation: this.info(request.id, RequestStatus.Accepted, r.position) });
      }
    });
  }

  /** Runs `f` with this session's own floor changes held back, then applies them after its answer. */
  private whileDeferring(f: () => void): void {
    this.deferring = true;
    try {
      f();
    } finally {
      this.deferring = false;
      const evs = this.deferred;
      this.deferred = [];
      for (const ev of evs) this.apply(ev);
    }
  }

  private apply(ev: FloorChange): void {
    const me = this.opts.holderKey;
    const r = this.request;
    if (r && ev.holder === me && r.status !== RequestStatus.Granted) {
      r.status = RequestStatus.Granted;
      this.link.notify({ primitive: 'FloorRequestStatus', floorRequestInformation: this.info(r.id, RequestStatus.Granted) });
    } else if (r && ev.previous === me && ev.holder !== me) {
      this.request = undefined;
      const status = ev.reason === 'revoked' || ev.reason === 'taken-over' ? RequestStatus.Revoked : RequestStatus.Released;
      this.link.notify({ primitive: 'FloorRequestStatus', floorRequestInformation: this.info(r.id, status) });
    }
    if (this.subscribed) this.link.notify(this.floorStatus());
  }

  private ownInfo(): FloorRequestInformation | undefined {
    const r = this.request;
    if (!r) return undefined;
    const position = r.status === RequestStatus.Accepted ? this.opts.floor.queue.indexOf(this.opts.holderKey) + 1 : 0;
    return this.info(r.id, r.status, position);
  }

  private info(id: number, status: RequestStatusValue, queuePosition = 0, user: UserInformation = this.user): FloorRequestInformation {
    const requestStatus = { status, queuePosition };
    return {
      floorRequestId: id,
      overallRequestStatus: { floorRequestId: id, requestStatus },
      floorRequestStatus: [{ floorId: this.opts.floorId, requestStatus }],
      beneficiary: user,
    };
  }

  /** The floor's holder (Granted) and those waiting (Accepted, with their positions). */
  private floorStatus(): BfcpBody {
    const floor = this.opts.floor;
    const floorRequests: FloorRequestInformation[] = [];
    if (floor.holder !== null) {
      const known = this.directory.requestOf(floor.holder);
      floorRequests.push(
        known
          ? this.info(known.floorRequestId, RequestStatus.Granted, 0, known.user)
          : this.infoWithoutUser(this.directory.externalRequestId(floor.holder), RequestStatus.Granted),
      );
    }
    floor.queue.forEach((key, i) => {
      const known = this.directory.requestOf(key);
      if (known) floorRequests.push(this.info(known.floorRequestId, RequestStatus.Accepted, Math.min(i + 1, 255), known.user));
    });
    return { primitive: 'FloorStatus', floorId: this.opts.floorId, floorRequests };
  }

  private infoWithoutUser(id: number, status: RequestStatusValue): FloorRequestInformation {
    const { beneficiary: _, ...rest } = this.info(id, status);
    return rest;
  }

  private error(m: BfcpMessage, code: ErrorCodeValue, info: string): void {
    this.link.respond(m, { primitive: 'Error', errorCode: code, errorInfo: info });
  }
}

export function truncateUtf8(s: string, maxBytes: number): string {
  const enc = new TextEncoder();
  let out = s;
  while (enc.encode(out).length > maxBytes) out = [...out].slice(0, -1).join('');
  return out;
}
