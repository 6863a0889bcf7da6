import { useState } from 'preact/hooks';
import { api, type Meeting, type Session } from './api';
import { addDays, dayName, instantOf, mondayOf, offsetName, spanText, zonedFields } from './district-time';
import { translate, type Language, type MessageKey } from './i18n';
import { href } from './router';
import { useApi } from './use-api';

interface PageProps {
  lang: Language;
  session: Session;
  onSignedOut: () => void;
}

/** Operators and admins book; viewers read. */
export const canBook = (session: Session) => session.operator.role !== 'viewer';

/** The meetings: a week calendar or the list of what is coming, in the district's time, and the way to book one. */
export function Meetings({ view, ...props }: PageProps & { view: 'week' | 'list' }) {
  const { lang, session } = props;
  const t = (key: MessageKey) => translate(lang, key);
  return (
    <div class="meetings-page">
      <div class="page-head">
        <nav class="view-switch" aria-label={t('meetings.views')}>
          <a href={href({ page: 'meetings' })} aria-current={view === 'week' ? 'page' : undefined}>
            {t('meetings.week')}
          </a>
          <a href={href({ page: 'meetings', view: 'list' })} aria-current={view === 'list' ? 'page' : undefined}>
            {t('meetings.list')}
          </a>
        </nav>
        <span class="zone">{translate(lang, 'meetings.zone', { zone: session.timeZone, offset: offsetName(new Date(), session.timeZone, lang) })}</span>
        {canBook(session) && (
          <a class="button primary" href={href({ page: 'booking', meetingId: null })}>
            {t('meetings.book')}
          </a>
        )}
      </div>
      {view === 'list' ? <Upcoming {...props} /> : <Week {...props} />}
    </div>
  );
}

/** Monday to Sunday of the district's week, day by day. */
function Week({ lang, session, onSignedOut }: PageProps) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const zone = session.timeZone;
  const [offset, setOffset] = useState(0);
  const monday = mondayOf(offset, zone);
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const { data, error } = useApi(
    async () => (await api.meetings(instantOf(monday, '00:00', zone), instantOf(addDays(monday, 7), '00:00', zone))).items,
    [monday],
    lang,
    onSignedOut,
  );
  return (
    <div class="week">
      <div class="week-nav">
        <button type="button" onClick={() => setOffset(offset - 1)}>
          {t('week.previous')}
        </button>
        <h2 aria-live="polite">{t('week.of', { from: dayName(days[0]!, lang), to: dayName(days[6]!, lang) })}</h2>
        <button type="button" onClick={() => setOffset(offset + 1)}>
          {t('week.next')}
        </button>
      </div>
      <Loading lang={lang} error={error} done={!!data} />
      {data &&
        days.map((day) => {
          const today = data.filter((m) => zonedFields(m.startsAt, zone).date === day);
          return (
            <section key={day} class="day" aria-label={dayName(day, lang)}>
              <h3>{dayName(day, lang)}</h3>
              {today.length === 0 ? (
                <p class="empty">{t('week.free')}</p>
              ) : (
                <ul class="meetings">
                  {today.map((m) => (
                    <MeetingRow key={m.id} meeting={m} lang={lang} when={`${zonedFields(m.startsAt, zone).time}–${zonedFields(m.endsAt, zone).time}`} />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
    </div>
  );
}

/** The meetings not over yet, soonest first. */
function Upcoming({ lang, session, onSignedOut }: PageProps) {
  const { data: page, error } = useApi(() => api.meetings(new Date()), [], lang, onSignedOut);
  const data = page?.items;
  return (
    <section class="upcoming" aria-labelledby="upcoming-heading">
      <h2 id="upcoming-heading">{translate(lang, 'meetings.upcoming')}</h2>
      <Loading lang={lang} error={error} done={!!data} />
      {data &&
        (data.length === 0 ? (
          <p class="empty">{translate(lang, 'meetings.none')}</p>
        ) : (
          <ul class="meetings">
            {data.map((m) => (
              <MeetingRow key={m.id} meeting={m} lang={lang} when={spanText(m.startsAt, m.endsAt, session.timeZone, lang)} />
            ))}
          </ul>
        ))}
      {page && page.total > page.items.length && <p class="hint">{translate(lang, 'meetings.more', { shown: page.items.length, total: page.total })}</p>}
    </section>
  );
}

/** One meeting in a week or the list: its title leads to its page. */
function MeetingRow({ meeting: m, lang, when }: { meeting: Meeting; lang: Language; when: string }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  return (
    <li class={`meeting ${m.status}`}>
      <a class="title" href={href({ page: 'meeting', meetingId: m.id })}>
        {m.title}
      </a>
      <span class="when">{when}</span>
      <span class="room">{t('meeting.room', { room: m.roomNumber })}</span>
      <span class="status">{t(`status.${m.status}`)}</span>
      <span class="links">
        {m.status === 'live' && <a href={href({ page: 'live', meetingId: m.id })}>{t('live.open')}</a>}
        {(m.status === 'live' || m.status === 'ended') && <a href={href({ page: 'attendance', meetingId: m.id })}>{t('attendance.open')}</a>}
      </span>
    </li>
  );
}

/** "Loading…" until `done`, or what went wrong. */
export function Loading({ lang, error, done }: { lang: Language; error: string | null; done: boolean }) {
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  return done ? null : <p aria-busy="true">{translate(lang, 'loading')}</p>;
}
