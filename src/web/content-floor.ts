/**
 * What the join page does about the meeting's presentation, decided from its event stream and its
 * own share button (docs/content-sharing.md, "Browsers"). Pure: the page (content-panel.ts) carries
 * out the actions with SIP sessions.
 *
 *   share: none ──Share──→ asking ──own content.started──→ presenting
 *            ↑               │                                 │ someone else's content.started,
 *            └── Stop, the browser's "stop sharing", a refusal ┘ or own content.stopped (revoked…)
 *
 * The page watches (a receiving content session) whoever else presents, but never while it shares.
 */

export interface Presenter {
  participantId: string | null;
  name: string;
  siteId: string | null;
  protocol: string;
}

export type StopReason = 'released' | 'revoked' | 'taken-over' | 'left' | 'ended';

export type FloorEvent = { type: 'content.started'; presenter: Presenter } | { type: 'content.stopped'; presenter: Presenter; reason: StopReason };

export interface FloorState {
  share: 'none' | 'asking' | 'presenting';
  /** Someone else who presents, as the last event said; null: nobody, or this page. */
  presenter: Presenter | null;
}

export type FloorAction =
  /** Have a receiving session open, showing `presenter`'s content (open one, or relabel the one open). */
  | { kind: 'watch'; presenter: Presenter }
  | { kind: 'unwatch' }
  /** End this page's share: the floor went to someone else, or an operator took it away. */
  | { kind: 'stop-share'; why: 'taken-over' | 'revoked' };

export const initialFloor: FloorState = { share: 'none', presenter: null };

/** Whether a presenter is this page: the bridge shows a guest's call under the ticket's name, a site's under its directory name. */
export type IsSelf = (p: Presenter) => boolean;

export function onFloorEvent(state: FloorState, event: FloorEvent, isSelf: IsSelf): { state: FloorState; actions: FloorAction[] } {
  const self = state.share !== 'none' && isSelf(event.presenter);
  if (event.type === 'content.started') {
    if (self) return { state: { share: 'presenting', presenter: null }, actions: [] };
    const presenter = event.presenter;
    // Asking, the page waits for its turn (or its take-over is on the way): it records, it does not watch.
    if (state.share === 'asking') return { state: { ...state, presenter }, actions: [] };
    if (state.share === 'presenting')
      return {
        state: { share: 'none', presenter },
        actions: [
          { kind: 'stop-share', why: 'taken-over' },
          { kind: 'watch', presenter },
        ],
      };
    return { state: { ...state, presenter }, actions: [{ kind: 'watch', presenter }] };
  }
  // Only a stop of a presentation this page has seen start as its own ends its share: a namesake's
  // presentation it took over says `taken-over` about the namesake.
  if (self && state.share === 'presenting') {
    const why = event.reason === 'taken-over' ? 'taken-over' : event.reason === 'revoked' || event.reason === 'ended' ? 'revoked' : null;
    return { state: { share: 'none', presenter: null }, actions: why ? [{ kind: 'stop-share', why }] : [] };
  }
  if (state.presenter && samePresenter(state.presenter, event.presenter)) {
    return { state: { ...state, presenter: null }, actions: state.share === 'none' ? [{ kind: 'unwatch' }] : [] };
  }
  return { state, actions: [] };
}

/** The page pressed Share: it stops watching while it asks for the floor. */
export function onShareStarted(state: FloorState): { state: FloorState; actions: FloorAction[] } {
  return { state: { ...state, share: 'asking' }, actions: state.presenter && state.share === 'none' ? [{ kind: 'unwatch' }] : [] };
}

/** The page's share ended (its own Stop, the browser's, a refusal, the bridge's BYE): back to watching whoever presents. */
export function onShareEnded(state: FloorState): { state: FloorState; actions: FloorAction[] } {
  if (state.share === 'none') return { state, actions: [] };
  return { state: { ...state, share: 'none' }, actions: state.presenter ? [{ kind: 'watch', presenter: state.presenter }] : [] };
}

function samePresenter(a: Presenter, b: Presenter): boolean {
  if (a.participantId !== null && b.participantId !== null) return a.participantId === b.participantId;
  return a.name === b.name && a.protocol === b.protocol && a.siteId === b.siteId;
}

/** An event from the stream, checked: a malformed one is null, never a crash. */
export function parseFloorEvent(type: string, data: string): FloorEvent | null {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(body) || body['type'] !== type) return null;
  const presenter = parsePresenter(body['presenter']);
  if (!presenter) return null;
  if (type === 'content.started') return { type, presenter };
  const reason = body['reason'];
  if (type === 'content.stopped' && typeof reason === 'string' && STOP_REASONS.includes(reason as StopReason))
    return { type, presenter, reason: reason as StopReason };
  return null;
}

/**
 * Who presented when the page (re)subscribed, as the stream's `hello` says: null for nobody,
 * undefined when the hello does not say (a bridge without content sharing, or a malformed hello).
 */
export function parseHelloPresenter(data: string): Presenter | null | undefined {
  try {
    const body: unknown = JSON.parse(data);
    if (!isRecord(body) || !('presenter' in body)) return undefined;
    return body['presenter'] === null ? null : (parsePresenter(body['presenter']) ?? undefined);
  } catch {
    return undefined;
  }
}

/**
 * The stream (re)opened saying who presents now: what it may have missed while away, as events.
 * A presentation of this page's own is left to its content session.
 */
export function onHello(state: FloorState, presenter: Presenter | null, isSelf: IsSelf): { state: FloorState; actions: FloorAction[] } {
  if (presenter) return onFloorEvent(state, { type: 'content.started', presenter }, isSelf);
  if (state.presenter) return onFloorEvent(state, { type: 'content.stopped', presenter: state.presenter, reason: 'released' }, isSelf);
  return { state, actions: [] };
}

const STOP_REASONS: readonly StopReason[] = ['released', 'revoked', 'taken-over', 'left', 'ended'];

function parsePresenter(value: unknown): Presenter | null {
  if (!isRecord(value)) return null;
  const { participantId, name, siteId, protocol } = value;
  if (typeof name !== 'string' || typeof protocol !== 'string') return null;
  if (participantId !== null && typeof participantId !== 'string') return null;
  if (siteId !== null && typeof siteId !== 'string') return null;
  return { participantId, name, siteId, protocol };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
