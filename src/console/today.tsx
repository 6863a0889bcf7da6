import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Overview, type OverviewProblem } from './api';
import { errorText, formatWhen, translate, type Language, type MessageKey } from './i18n';
import { href } from './router';

/** The next day's worth of meetings is what an office plans its morning around. */
const HOURS_AHEAD = 24;

/** Problems that need a person, the sites at a glance, and meetings live now and coming; refreshed every half minute. */
export function Today({ lang, onSignedOut }: { lang: Language; onSignedOut: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const o = await api.overview(HOURS_AHEAD);
        if (!stopped) {
          setOverview(o);
          setError(null);
        }
      } catch (err) {
        if (stopped || !(err instanceof ApiError)) return;
        if (err.status === 401) onSignedOut();
        else setError(errorText(lang, err));
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
  if (!overview) return <p aria-busy="true">{t('loading')}</p>;
  const live = overview.meetings.filter((m) => m.status === 'live');
  const coming = overview.meetings.filter((m) => m.status === 'scheduled');
  const { sites } = overview;
  return (
    <div class="today">
      {overview.problems.length > 0 && (
        <section class="problems" aria-labelledby="problems-heading">
          <h2 id="problems-heading">{t('today.problems')}</h2>
          <ul>
            {overview.problems.map((p, i) => (
              <li key={i}>{problemText(p, lang)}</li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="sites-heading">
        <h2 id="sites-heading">{t('today.sites')}</h2>
        <p class="site-counts">
          {t('today.siteCounts', { registered: sites.registered, inCall: sites.inCall, unreachable: sites.unreachable, enabled: sites.enabled })}
        </p>
      </section>
      <section aria-labelledby="live-heading">
        <h2 id="live-heading">{t('today.live')}</h2>
        {live.length ? (
          <ul class="meetings">
            {live.map((m) => (
              <li key={m.id} class="meeting live">
                <span class="title">{m.title}</span>
                <span class="when">
                  {formatWhen(m.startsAt, lang)} – {formatWhen(m.endsAt, lang)}
                </span>
                <span class="room">{t('meeting.room', { room: m.roomNumber })}</span>
                <span class="sites">{t('today.joined', { joined: m.joined, invited: m.invited })}</span>
                <a class="open-live" href={href({ page: 'live', meetingId: m.id })}>
                  {t('live.open')}
                  <span class="visually-hidden">: {m.title}</span>
                </a>
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">{t('today.none.live')}</p>
        )}
      </section>
      <section aria-labelledby="coming-heading">
        <h2 id="coming-heading">{t('today.coming')}</h2>
        {coming.length ? (
          <ul class="meetings">
            {coming.map((m) => (
              <li key={m.id} class="meeting scheduled">
                <span class="title">{m.title}</span>
                <span class="when">
                  {formatWhen(m.startsAt, lang)} – {formatWhen(m.endsAt, lang)}
                </span>
                <span class="room">{t('meeting.room', { room: m.roomNumber })}</span>
                <span class="sites">{t('meeting.sites', { count: m.invited })}</span>
                <span />
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">{t('today.none.coming')}</p>
        )}
      </section>
    </div>
  );
}

function problemText(p: OverviewProblem, lang: Language): string {
  switch (p.kind) {
    case 'dependency-down':
      return translate(lang, 'problem.down', { dependency: p.dependency });
    case 'sites-missing':
      return translate(lang, 'problem.missing', { title: p.meeting.title, sites: p.sites.map((s) => s.name).join(', ') });
    case 'dial-failures':
      return translate(lang, 'problem.dialFailures', {
        site: p.site.name,
        attempts: p.attempts,
        outcome: translate(lang, `outcome.${p.lastOutcome}` as MessageKey),
      });
  }
}
