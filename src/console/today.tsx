import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Meeting } from './api';
import { formatWhen, translate, type Language } from './i18n';
import { href } from './router';

const WEEK_MS = 7 * 24 * 3600_000;

/** Meetings live now and coming in the next seven days, refreshed every half minute. */
export function Today({ lang, onSignedOut }: { lang: Language; onSignedOut: () => void }) {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate(lang, key, params);
  const [meetings, setMeetings] = useState<Meeting[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      const now = new Date();
      try {
        const page = await api.meetings(now, new Date(now.getTime() + WEEK_MS));
        if (!stopped) {
          setMeetings(page.items);
          setError(null);
        }
      } catch (err) {
        if (stopped || !(err instanceof ApiError)) return;
        if (err.status === 401) onSignedOut();
        else setError(err.status === 0 ? t('error.network') : t('error.generic', { detail: err.detail || err.title }));
      }
    };
    void load();
    const timer = setInterval(() => void load(), 30_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [lang]);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!meetings) return <p aria-busy="true">{t('loading')}</p>;
  const live = meetings.filter((m) => m.status === 'live');
  const coming = meetings.filter((m) => m.status === 'scheduled');
  return (
    <div class="today">
      <section aria-labelledby="live-heading">
        <h2 id="live-heading">{t('today.live')}</h2>
        {live.length ? <MeetingList meetings={live} lang={lang} /> : <p class="empty">{t('today.none.live')}</p>}
      </section>
      <section aria-labelledby="coming-heading">
        <h2 id="coming-heading">{t('today.coming')}</h2>
        {coming.length ? <MeetingList meetings={coming} lang={lang} /> : <p class="empty">{t('today.none.coming')}</p>}
      </section>
    </div>
  );
}

function MeetingList({ meetings, lang }: { meetings: Meeting[]; lang: Language }) {
  return (
    <ul class="meetings">
      {meetings.map((m) => (
        <li key={m.id} class={`meeting ${m.status}`}>
          <span class="title">{m.title}</span>
          <span class="when">
            {formatWhen(m.startsAt, lang)} – {formatWhen(m.endsAt, lang)}
          </span>
          <span class="room">{translate(lang, 'meeting.room', { room: m.roomNumber })}</span>
          <span class="sites">{translate(lang, 'meeting.sites', { count: m.invitedSites.length })}</span>
          {m.status === 'live' && (
            <a class="open-live" href={href({ page: 'live', meetingId: m.id })}>
              {translate(lang, 'live.open')}
              <span class="visually-hidden">: {m.title}</span>
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}
