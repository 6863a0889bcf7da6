import { useEffect, useReducer, useState } from 'preact/hooks';
import { ApiError, api, type Session } from './api';
import { errorText, translate, type Language, type MessageKey } from './i18n';
import { applyEvent, initialView, tally, type LiveEvent, type LiveView, type SiteTile, type TileState } from './live-state';

const EVENT_TYPES = ['meeting.state', 'participant.joined', 'participant.left', 'participant.talking', 'participant.muted', 'dial.attempt', 'dial.outcome'];

type Action = { kind: 'load'; view: LiveView } | { kind: 'event'; event: LiveEvent };

function reduce(view: LiveView | null, action: Action): LiveView | null {
  if (action.kind === 'load') return action.view;
  return view && applyEvent(view, action.event, Date.now());
}

/**
 * One live meeting: a tile per invited site and the guests, fed by the meeting's event stream, with
 * the operator's controls. After a lost connection the roster is read again, so nothing missed
 * while reconnecting stays wrong on screen.
 */
export function Live({ meetingId, lang, session, onSignedOut }: { meetingId: string; lang: Language; session: Session; onSignedOut: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [view, dispatch] = useReducer(reduce, null);
  const [locked, setLocked] = useState(false);
  const [connection, setConnection] = useState<'open' | 'reconnecting'>('open');
  const [message, setMessage] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const canControl = session.operator.role !== 'viewer';
  const control = api.live(meetingId);

  const fail = (err: unknown) => {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) onSignedOut();
    else setMessage(errorText(lang, err));
  };

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const [meeting, roster] = await Promise.all([api.meeting(meetingId), api.participants(meetingId)]);
        if (stopped) return;
        dispatch({ kind: 'load', view: initialView(meeting, roster.items) });
        setLocked(roster.locked);
      } catch (err) {
        if (!stopped) fail(err);
      }
    };
    const source = control.events();
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (e) => dispatch({ kind: 'event', event: JSON.parse((e as MessageEvent<string>).data) as LiveEvent }));
    }
    source.onerror = () => setConnection('reconnecting');
    // The first open and every reconnection: what the stream missed is in the roster.
    source.onopen = () => {
      setConnection('open');
      void load();
    };
    const clock = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stopped = true;
      source.close();
      clearInterval(clock);
    };
  }, [meetingId]);

  if (!view) return <p aria-busy="true">{t('loading')}</p>;
  const act = (fn: () => Promise<unknown>) => () => {
    setMessage(null);
    fn().catch(fail);
  };
  const counts = tally(view);
  const left = Math.max(0, Math.round((Date.parse(view.endsAt) - now) / 1000));
  return (
    <div class="live">
      <div class="live-head">
        <p class="counts" aria-live="polite">
          {t('live.counts', { joined: counts.joined, invited: counts.invited, guests: counts.guests })}
        </p>
        <p class="clock">{view.status === 'live' ? t('live.endsIn', { time: clockText(left) }) : t(`status.${view.status}` as MessageKey)}</p>
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
      {canControl && view.status === 'live' && (
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
      )}
      <ul class="tiles" aria-label={t('live.sites')}>
        {view.sites.map((tile) => (
          <Tile key={tile.siteId} tile={tile} lang={lang} now={now} canControl={canControl && view.status === 'live'} act={act} control={control} />
        ))}
      </ul>
      {view.guests.length > 0 && (
        <section aria-labelledby="guests-heading">
          <h2 id="guests-heading">{t('live.guests')}</h2>
          <ul class="tiles">
            {view.guests.map((g) => (
              <li key={g.participantId} class={`tile joined${g.talking ? ' talking' : ''}`}>
                <span class="name">{g.name}</span>
                <span class="state">
                  {g.protocol}
                  {g.muted ? ` · ${t('live.muted')}` : ''}
                </span>
                {canControl && view.status === 'live' && (
                  <span class="actions">
                    <button type="button" onClick={act(() => control.mute(g.participantId, !g.muted))}>
                      {t(g.muted ? 'live.unmute' : 'live.mute')}
                    </button>
                    <button type="button" onClick={act(() => control.kick(g.participantId))}>
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

function Tile({
  tile,
  lang,
  now,
  canControl,
  act,
  control,
}: {
  tile: SiteTile;
  lang: Language;
  now: number;
  canControl: boolean;
  act: (fn: () => Promise<unknown>) => () => void;
  control: ReturnType<typeof api.live>;
}) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const s = tile.state;
  const talking = s.kind === 'joined' && s.talking;
  return (
    <li class={`tile ${s.kind}${talking ? ' talking' : ''}`}>
      <span class="name">{tile.name}</span>
      <span class="state">{stateText(s, lang, now)}</span>
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
            <button type="button" aria-label={`${t('live.redial')} ${tile.name}`} onClick={act(() => control.dialSite(tile.siteId))}>
              {t('live.redial')}
            </button>
          )}
        </span>
      )}
    </li>
  );
}

function stateText(s: TileState, lang: Language, now: number): string {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  switch (s.kind) {
    case 'joined':
      return [t('tile.joined'), s.moderator ? t('tile.chair') : '', s.muted ? t('live.muted') : '', s.talking ? t('tile.talking') : '']
        .filter(Boolean)
        .join(' · ');
    case 'ringing':
      return t('tile.ringing', { attempt: s.attempt });
    case 'retrying':
      return t('tile.retrying', { outcome: t(`outcome.${s.outcome}` as MessageKey), seconds: Math.max(0, Math.round((s.retryAt - now) / 1000)) });
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
