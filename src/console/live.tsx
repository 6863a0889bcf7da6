import { Component, type FunctionComponent, h } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from './api';
import type { Session } from './api';
import { errorText, isMessageKey, translate, type Language, type MessageKey } from './i18n';
import { type LiveEvent, LiveView, TILE_KINDS, type TileFilter, type TileState } from './live-state';

const EVENT_TYPES = [
  'meeting.state',
  'participant.joined',
  'participant.left',
  'participant.talking',
  'participant.muted',
  'dial.attempt',
  'dial.outcome',
  'content.started',
  'content.stopped',
];
const FILTERS: readonly TileFilter[] = ['all', 'in', 'out', 'problems'];

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;
type Control = ReturnType<typeof api.live>;
type Act = (fn: () => Promise<unknown>) => () => void;

/** Redraws the tile of one site when an event changed it, without drawing the page and its 300 tiles. */
class TileSignals {
  readonly #listeners = new Map<string, () => void>();
  subscribe(siteId: string, listener: () => void): () => void {
    this.#listeners.set(siteId, listener);
    return () => {
      if (this.#listeners.get(siteId) === listener) this.#listeners.delete(siteId);
    };
  }
  notify(siteId: string): void {
    this.#listeners.get(siteId)?.();
  }
}

/** A component drawn again only when one of its props is another value (preact/compat's memo, without compat). */
function pure<P extends object>(render: FunctionComponent<P>): FunctionComponent<P> {
  class Pure extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const before = this.props as Record<string, unknown>;
      const after = next as Record<string, unknown>;
      return Object.keys(after).some((k) => after[k] !== before[k]) || Object.keys(before).length !== Object.keys(after).length;
    }
    override render(props: P) {
      return h(render, props);
    }
  }
  return Pure as unknown as FunctionComponent<P>;
}

function useRedraw(): () => void {
  const [, set] = useState(0);
  return useCallback(() => set((n) => n + 1), []);
}

/**
 * One live meeting: a tile per invited site and the guests, fed by the meeting's event stream, with
 * the operator's controls. After a lost connection the roster is read again, so nothing missed
 * while reconnecting stays wrong on screen. An event redraws the tile it changed; the page itself is
 * drawn again only when a tile changes state (counts, filters), a guest comes or goes, or the meeting
 * changes.
 */
export function Live({ meetingId, lang, session, onSignedOut }: { meetingId: string; lang: Language; session: Session; onSignedOut: () => void }) {
  const t: Translate = (key, params) => translate(lang, key, params);
  const [view, setView] = useState<LiveView | null>(null);
  const redraw = useRedraw();
  const signals = useMemo(() => new TileSignals(), []);
  const [locked, setLocked] = useState(false);
  const [layouts, setLayouts] = useState<{ all: string[]; current: string | null }>({ all: [], current: null });
  const [connection, setConnection] = useState<'open' | 'reconnecting'>('open');
  const [message, setMessage] = useState<string | null>(null);
  const [filter, setFilter] = useState<TileFilter>('all');
  const [search, setSearch] = useState('');
  const canControl = session.operator.role !== 'viewer';
  const control = useMemo(() => api.live(meetingId), [meetingId]);

  const fail = (err: unknown) => {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) onSignedOut();
    else setMessage(errorText(lang, err));
  };
  // Tiles keep one `act` for their life (so they are not all redrawn), and it reaches the newest `fail`.
  const failRef = useRef(fail);
  failRef.current = fail;
  const act = useCallback<Act>(
    (fn) => () => {
      setMessage(null);
      fn().catch((err: unknown) => failRef.current(err));
    },
    [],
  );

  useEffect(() => {
    let stopped = false;
    let current: LiveView | null = null;
    // Events that come while the roster is read are applied to it once it is in.
    let pending: LiveEvent[] | null = null;
    // The page (counts, filtered list, guests) is drawn at most once a frame: 300 sites joining within
    // a second would otherwise draw it 300 times. A tile is drawn as soon as its event comes.
    let frame = 0;
    const redrawPage = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          redraw();
        });
    };
    const apply = (e: LiveEvent) => {
      if (!current) return;
      const change = current.apply(e, Date.now());
      if (change.site) signals.notify(change.site);
      if (change.kind || change.guests || change.meeting || change.content) redrawPage();
    };
    const load = async () => {
      pending = [];
      try {
        const [meeting, roster, content] = await Promise.all([api.meeting(meetingId), api.participants(meetingId), presenting(meetingId)]);
        if (stopped) return;
        current = new LiveView(meeting, roster.items);
        current.setPresenter(content);
        for (const e of pending) current.apply(e, Date.now());
        setView(current);
        setLocked(roster.locked);
        setLayouts({ all: roster.layouts, current: roster.layout });
      } catch (err) {
        if (!stopped) failRef.current(err);
      } finally {
        pending = null;
      }
    };
    // The browser reconnects by itself after a network error, but gives up for good on an HTTP error
    // (the server restarting behind a proxy answers 502): then a new stream, a little later.
    let source: EventSource;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      source = control.events();
      for (const type of EVENT_TYPES) {
        source.addEventListener(type, (m) => {
          const e = JSON.parse((m as MessageEvent<string>).data) as LiveEvent;
          if (pending) pending.push(e);
          else apply(e);
        });
      }
      source.onerror = () => {
        setConnection('reconnecting');
        if (source.readyState === EventSource.CLOSED && !stopped) retry = setTimeout(connect, 5000);
      };
      // The first open and every reconnection: what the stream missed is in the roster.
      source.onopen = () => {
        setConnection('open');
        void load();
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      cancelAnimationFrame(frame);
      source.close();
    };
  }, [meetingId]);

  if (!view) return <p aria-busy="true">{t('loading')}</p>;
  const live = canControl && view.status === 'live';
  const counts = view.counts;
  const joined = counts.joined;
  const filterCounts: Record<TileFilter, number> = {
    all: view.order.length,
    in: joined,
    out: view.order.length - joined,
    problems: counts.retrying + counts.unreachable + counts.declined + counts.left,
  };
  const visible = view.visible(filter, search);
  const guests = view.guests;
  return (
    <div class="live">
      <div class="live-head">
        <p class="counts" aria-live="polite">
          {t('live.counts', { joined, invited: view.order.length, guests: guests.length })}
        </p>
        <Clock status={view.status} endsAt={view.endsAt} t={t} />
        {connection === 'reconnecting' && (
          <p class="reconnecting" role="status">
            {t('live.reconnecting')}
          </p>
        )}
      </div>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      {view.presenter && (
        <div class="presenting" role="status">
          <span>{t('live.presenting', { name: view.presenter.name })}</span>
          {live && (
            <button
              type="button"
              onClick={act(async () => {
                await control.stopContent();
                // The stream's content.stopped says the same; this spares the wait.
                view.setPresenter(null);
                redraw();
              })}
            >
              {t('live.stopPresenting')}
            </button>
          )}
        </div>
      )}
      {live && (
        <>
          <div class="toolbar" role="toolbar" aria-label={t('live.controls')}>
            <button type="button" onClick={act(() => control.muteAll(true))}>
              {t('live.muteAll')}
            </button>
            <button type="button" onClick={act(() => control.muteAll(false))}>
              {t('live.unmuteAll')}
            </button>
            <button
              type="button"
              aria-pressed={locked}
              onClick={act(async () => {
                await control.lock(!locked);
                setLocked(!locked);
              })}
            >
              {t(locked ? 'live.unlock' : 'live.lock')}
            </button>
            <button type="button" onClick={act(() => control.extend(15))}>
              {t('live.extend', { minutes: 15 })}
            </button>
            <button
              type="button"
              class="danger"
              onClick={act(async () => {
                if (confirm(t('live.endConfirm'))) await control.end();
              })}
            >
              {t('live.end')}
            </button>
          </div>
          <div class="live-forms">
            <DialForm control={control} t={t} lang={lang} onSignedOut={onSignedOut} />
            <LayoutPicker
              layouts={layouts}
              t={t}
              choose={async (layout) => {
                await control.layout(layout);
                setLayouts((l) => ({ ...l, current: layout }));
              }}
              fail={fail}
            />
          </div>
        </>
      )}
      <div class="tile-filters">
        <label>
          {t('live.filter')}{' '}
          <select value={filter} onChange={(e) => setFilter((e.currentTarget as HTMLSelectElement).value as TileFilter)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(`live.filter.${f}`, { count: filterCounts[f] })}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('live.search')} <input type="search" value={search} onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </div>
      <ul class="state-counts" aria-label={t('live.byState')}>
        {TILE_KINDS.filter((k) => counts[k] > 0).map((k) => (
          <li key={k} class={`count ${k}`}>
            {t(`count.${k}`, { count: counts[k] })}
          </li>
        ))}
      </ul>
      {visible.length === 0 && <p>{t('live.noneMatch')}</p>}
      <ul class="tiles" aria-label={t('live.sites')}>
        {visible.map((siteId) => (
          <Tile key={siteId} view={view} siteId={siteId} signals={signals} lang={lang} canControl={live} act={act} control={control} />
        ))}
      </ul>
      {guests.length > 0 && (
        <section aria-labelledby="guests-heading">
          <h2 id="guests-heading">{t('live.guests')}</h2>
          <ul class="tiles">
            {guests.map((g) => (
              <li key={g.participantId} class={`tile joined${g.talking ? ' talking' : ''}`}>
                <span class="name">{g.name}</span>
                <span class="state">
                  {g.protocol}
                  {g.muted ? ` · ${t('live.muted')}` : ''}
                  {g.talking ? ` · ${t('tile.talking')}` : ''}
                </span>
                {live && (
                  <span class="actions">
                    <button
                      type="button"
                      aria-label={`${t(g.muted ? 'live.unmute' : 'live.mute')} ${g.name}`}
                      onClick={act(() => control.mute(g.participantId, !g.muted))}
                    >
                      {t(g.muted ? 'live.unmute' : 'live.mute')}
                    </button>
                    <button type="button" aria-label={`${t('live.kick')} ${g.name}`} onClick={act(() => control.kick(g.participantId))}>
                      {t('live.kick')}
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/**
 * Who presents, as the bridge says now. A bridge without a call side (or one too old for content)
 * has nobody presenting: the page goes on without the banner rather than failing.
 */
async function presenting(meetingId: string) {
  try {
    return (await api.live(meetingId).content()).presenter;
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) return null;
    throw err;
  }
}

/** The time left, ticking by itself: a second passing draws this line, not the tiles. */
function Clock({ status, endsAt, t }: { status: string; endsAt: string; t: Translate }) {
  const now = useNow(status === 'live');
  const left = Math.max(0, Math.round((Date.parse(endsAt) - now) / 1000));
  return <p class="clock">{status === 'live' ? t('live.endsIn', { time: clockText(left) }) : t(`status.${status}` as MessageKey)}</p>;
}

/** The current time, every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

/** Any SIP address dialled once into the meeting; the API's reason shown beside the field when it refuses. */
function DialForm({ control, t, lang, onSignedOut }: { control: Control; t: Translate; lang: Language; onSignedOut: () => void }) {
  const [uri, setUri] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const target = uri.trim();
    setResult(null);
    try {
      await control.dialUri(target);
      setResult({ ok: true, text: t('live.dialing', { uri: target }) });
      setUri('');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) onSignedOut();
      else setResult({ ok: false, text: [errorText(lang, err), ...err.errors.map((f) => `${f.field}: ${f.message}`)].join(' — ') });
    }
  };
  return (
    <form class="dial-form" onSubmit={submit}>
      <label for="dial-uri">{t('live.dialUri')}</label>
      <input
        id="dial-uri"
        type="text"
        inputMode="url"
        autoComplete="off"
        spellcheck={false}
        placeholder="sip:phong-hop@10.0.0.5"
        required
        value={uri}
        aria-invalid={result?.ok === false}
        aria-describedby={result ? 'dial-result' : undefined}
        onInput={(e) => setUri((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit">{t('live.dial')}</button>
      {result && (
        <p id="dial-result" class={result.ok ? 'note' : 'error'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </p>
      )}
    </form>
  );
}

function LayoutPicker({
  layouts,
  t,
  choose,
  fail,
}: {
  layouts: { all: string[]; current: string | null };
  t: Translate;
  choose: (layout: string) => Promise<void>;
  fail: (err: unknown) => void;
}) {
  // The conference starts on its profile's default, the first of the list (group:grid).
  const current = layouts.current ?? layouts.all[0] ?? '';
  const [picked, setPicked] = useState(current);
  const [done, setDone] = useState<string | null>(null);
  const name = (layout: string) => {
    const key = `layout.${layout}`;
    return isMessageKey(key) ? t(key) : layout;
  };
  if (layouts.all.length === 0) return null;
  return (
    <form
      class="layout-picker"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        choose(picked).then(() => setDone(t('live.layoutSet', { layout: name(picked) })), fail);
      }}
    >
      <label for="layout">{t('live.layout')}</label>
      <select id="layout" value={picked} onChange={(e) => setPicked((e.currentTarget as HTMLSelectElement).value)}>
        {layouts.all.map((l) => (
          <option key={l} value={l}>
            {l === current ? t('live.layoutCurrent', { layout: name(l) }) : name(l)}
          </option>
        ))}
      </select>
      <button type="submit">{t('live.layoutApply')}</button>
      {done && (
        <p class="note" role="status">
          {done}
        </p>
      )}
    </form>
  );
}

/** One invited site; drawn again when its own state changes (signals) or the page's settings do (props). */
const Tile = pure(function Tile({
  view,
  siteId,
  signals,
  lang,
  canControl,
  act,
  control,
}: {
  view: LiveView;
  siteId: string;
  signals: TileSignals;
  lang: Language;
  canControl: boolean;
  act: Act;
  control: Control;
}) {
  const redraw = useRedraw();
  useEffect(() => signals.subscribe(siteId, redraw), [signals, siteId]);
  const t: Translate = (key, params) => translate(lang, key, params);
  const tile = view.tile(siteId);
  const s = tile.state;
  const talking = s.kind === 'joined' && s.talking;
  return (
    <li class={`tile ${s.kind}${talking ? ' talking' : ''}`}>
      <span class="name">{tile.name}</span>
      <span class="state">{s.kind === 'retrying' ? <Countdown state={s} t={t} /> : stateText(s, t)}</span>
      {canControl && (
        <span class="actions">
          {s.kind === 'joined' ? (
            <>
              <button
                type="button"
                aria-label={`${t(s.muted ? 'live.unmute' : 'live.mute')} ${tile.name}`}
                onClick={act(() => control.mute(s.participantId, !s.muted))}
              >
                {t(s.muted ? 'live.unmute' : 'live.mute')}
              </button>
              <button type="button" aria-label={`${t('live.floor')} ${tile.name}`} onClick={act(() => control.floor(s.participantId))}>
                {t('live.floor')}
              </button>
              <button type="button" aria-label={`${t('live.kick')} ${tile.name}`} onClick={act(() => control.kick(s.participantId))}>
                {t('live.kick')}
              </button>
            </>
          ) : (
            <button type="button" aria-label={`${t('live.redial')} ${tile.name}`} onClick={act(() => control.dialSite(siteId))}>
              {t('live.redial')}
            </button>
          )}
        </span>
      )}
    </li>
  );
});

/** "Busy, retrying in 12 s": the only part of a tile the clock redraws. */
function Countdown({ state, t }: { state: Extract<TileState, { kind: 'retrying' }>; t: Translate }) {
  const now = useNow(true);
  const seconds = Math.max(0, Math.round((state.retryAt - now) / 1000));
  return <>{t('tile.retrying', { outcome: t(`outcome.${state.outcome}` as MessageKey), seconds })}</>;
}

function stateText(s: Exclude<TileState, { kind: 'retrying' }>, t: Translate): string {
  switch (s.kind) {
    case 'joined':
      return [t('tile.joined'), s.moderator ? t('tile.chair') : '', s.muted ? t('live.muted') : '', s.talking ? t('tile.talking') : '']
        .filter(Boolean)
        .join(' · ');
    case 'ringing':
      return t('tile.ringing', { attempt: s.attempt });
    case 'unreachable':
      return t('tile.unreachable');
    case 'declined':
      return t('tile.declined');
    case 'left':
      return t('tile.left');
    case 'waiting':
      return t('tile.waiting');
  }
}

function clockText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
