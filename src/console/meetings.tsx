import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Meeting } from './api';
import { errorText, formatWhen, translate, type Language, type MessageKey } from './i18n';
import { href } from './router';

const DAY_MS = 24 * 3600_000;

/** Monday 00:00 local time of the week `offset` weeks from this one. */
function weekStart(offset: number): Date {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7) + offset * 7);
  return d;
}

/** The meetings of one week, day by day, with what can be done with each. */
export function Meetings({ lang, onSignedOut }: { lang: Language; onSignedOut: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [offset, setOffset] = useState(0);
  const [meetings, setMeetings] = useState<Meeting[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const from = weekStart(offset);
  const to = new Date(from.getTime() + 7 * DAY_MS);

  useEffect(() => {
    let stopped = false;
    setMeetings(null);
    api.meetings(from, to).then(
      (page) => {
        if (!stopped) setMeetings(page.items);
      },
      (err: unknown) => {
        if (stopped || !(err instanceof ApiError)) return;
        if (err.status === 401) onSignedOut();
        else setError(errorText(lang, err));
      },
    );
    return () => {
      stopped = true;
    };
  }, [offset]);

  const days = Array.from({ length: 7 }, (_, i) => new Date(from.getTime() + i * DAY_MS));
  const dayName = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { weekday: 'long', day: 'numeric', month: 'numeric' });
  return (
    <div class="week">
      <div class="week-nav">
        <button type="button" onClick={() => setOffset(offset - 1)}>
          {t('week.previous')}
        </button>
        <h2 aria-live="polite">{t('week.of', { from: dayName.format(days[0]!), to: dayName.format(days[6]!) })}</h2>
        <button type="button" onClick={() => setOffset(offset + 1)}>
          {t('week.next')}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!meetings && !error && <p aria-busy="true">{t('loading')}</p>}
      {meetings &&
        days.map((day) => {
          const today = meetings.filter((m) => new Date(m.startsAt).toDateString() === day.toDateString());
          return (
            <section key={day.toISOString()} class="day" aria-label={dayName.format(day)}>
              <h3>{dayName.format(day)}</h3>
              {today.length === 0 ? (
                <p class="empty">{t('week.free')}</p>
              ) : (
                <ul class="meetings">
                  {today.map((m) => (
                    <li key={m.id} class={`meeting ${m.status}`}>
                      <span class="title">{m.title}</span>
                      <span class="when">{formatWhen(m.startsAt, lang)}</span>
                      <span class="room">{t('meeting.room', { room: m.roomNumber })}</span>
                      <span class="status">{t(`status.${m.status}` as MessageKey)}</span>
                      <span class="links">
                        {m.status === 'live' && <a href={href({ page: 'live', meetingId: m.id })}>{t('live.open')}</a>}
                        {(m.status === 'live' || m.status === 'ended') && <a href={href({ page: 'attendance', meetingId: m.id })}>{t('attendance.open')}</a>}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
    </div>
  );
}
