import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Attendance as Report } from './api';
import { errorText, formatWhen, translate, type Language, type MessageKey } from './i18n';
import { ScrollingTable } from './scrolling-table';

/** Who attended a meeting and for how long, each site's dial-out history, and the spreadsheet. */
export function Attendance({ meetingId, lang, onSignedOut }: { meetingId: string; lang: Language; onSignedOut: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.attendance(meetingId).then(setReport, (err: unknown) => {
      if (!(err instanceof ApiError)) return;
      if (err.status === 401) onSignedOut();
      else setError(errorText(lang, err));
    });
  }, [meetingId]);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!report) return <p aria-busy="true">{t('loading')}</p>;
  const when = (iso: string | null) => (iso ? formatWhen(iso, lang) : '—');
  return (
    <div class="attendance">
      <h2>{report.meeting.title}</h2>
      <p>
        {t('attendance.summary', report.summary)} · <a href={api.attendanceCsvUrl(meetingId)}>{t('attendance.csv')}</a>
      </p>
      <ScrollingTable label={t('attendance.open')}>
        <table>
          <caption class="visually-hidden">{t('attendance.open')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('attendance.site')}</th>
              <th scope="col">{t('attendance.attended')}</th>
              <th scope="col">{t('attendance.first')}</th>
              <th scope="col">{t('attendance.last')}</th>
              <th scope="col">{t('attendance.minutes')}</th>
              <th scope="col">{t('attendance.reconnects')}</th>
              <th scope="col">{t('attendance.dials')}</th>
            </tr>
          </thead>
          <tbody>
            {report.sites.map((s) => (
              <tr key={s.site.id} class={s.attended ? 'attended' : 'absent'}>
                <th scope="row">{s.site.name}</th>
                <td>{t(s.attended ? 'attendance.yes' : 'attendance.no')}</td>
                <td>{when(s.firstJoinedAt)}</td>
                <td>{when(s.lastLeftAt)}</td>
                <td>{s.connectedMinutes}</td>
                <td>{s.reconnects}</td>
                <td>
                  {s.dialAttempts
                    .map((d) => `${d.attempt}: ${d.outcome ? t(`outcome.${d.outcome}` as MessageKey) : '…'}${d.sipStatus ? ` (${d.sipStatus})` : ''}`)
                    .join(', ') || '—'}
                </td>
              </tr>
            ))}
            {report.guests.map((g, i) => (
              <tr key={`guest-${i}`}>
                <th scope="row">
                  {g.name} ({t('live.guests')})
                </th>
                <td>{t(g.attended ? 'attendance.yes' : 'attendance.no')}</td>
                <td>{when(g.firstJoinedAt)}</td>
                <td>{when(g.lastLeftAt)}</td>
                <td>{g.connectedMinutes}</td>
                <td>{g.reconnects}</td>
                <td>—</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollingTable>
      {report.presentations.length > 0 && (
        <>
          <h3 id="presentations-heading">{t('attendance.presentations')}</h3>
          <ScrollingTable labelledBy="presentations-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('attendance.presenter')}</th>
                  <th scope="col">{t('attendance.presentedFrom')}</th>
                  <th scope="col">{t('attendance.presentedTo')}</th>
                  <th scope="col">{t('attendance.minutes')}</th>
                  <th scope="col">{t('attendance.endReason')}</th>
                </tr>
              </thead>
              <tbody>
                {report.presentations.map((p, i) => (
                  <tr key={`presentation-${i}`}>
                    <th scope="row">{p.name}</th>
                    <td>{when(p.startedAt)}</td>
                    <td>{p.endedAt ? when(p.endedAt) : t('attendance.presentingNow')}</td>
                    <td>{Math.round(p.durationMs / 6000) / 10}</td>
                    <td>{p.endReason ? t(`shareEnd.${p.endReason}`) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollingTable>
        </>
      )}
    </div>
  );
}
