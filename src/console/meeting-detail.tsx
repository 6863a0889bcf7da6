import { useState } from 'preact/hooks';
import { ApiError, api, type Invitation, type Meeting, type Session } from './api';
import { offsetName, spanText } from './district-time';
import { errorText, translate, type Language, type MessageKey } from './i18n';
import { Documents, Recordings } from './meeting-records';
import { canBook, Loading } from './meetings';
import { href } from './router';
import { useApi } from './use-api';

/**
 * One meeting: when and where, who is invited, how to join it (browser link, what room systems
 * dial, a calendar file), the invitation text to send to the communes, and what can be done with it.
 */
export function MeetingDetail({ meetingId, lang, session, onSignedOut }: { meetingId: string; lang: Language; session: Session; onSignedOut: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const { data, error, reload } = useApi(
    async () => {
      const [meeting, invitation] = await Promise.all([api.meeting(meetingId), api.invitation(meetingId)]);
      return { meeting, invitation };
    },
    [meetingId],
    lang,
    onSignedOut,
  );
  if (!data) return <Loading lang={lang} error={error} done={false} />;
  const { meeting: m, invitation } = data;
  const zone = session.timeZone;
  const yesNo = (v: boolean) => t(v ? 'detail.yes' : 'detail.no');
  return (
    <div class="meeting-detail">
      <h2>{m.title}</h2>
      <dl class="facts">
        <dt>{t('detail.when')}</dt>
        <dd>
          {spanText(m.startsAt, m.endsAt, zone, lang)} ({offsetName(m.startsAt, zone, lang)})
        </dd>
        <dt>{t('detail.room')}</dt>
        <dd>{m.roomNumber}</dd>
        <dt>{t('detail.status')}</dt>
        <dd class={`status ${m.status}`}>{t(`status.${m.status}`)}</dd>
        <dt>{t('booking.chair')}</dt>
        <dd>{m.chairSite ? m.chairSite.name : t('booking.noChair')}</dd>
        <dt>{t('booking.mode')}</dt>
        <dd>{t(`mode.${m.mode}`)}</dd>
        {m.pin !== undefined && (
          <>
            <dt>{t('booking.pin')}</dt>
            <dd>{m.pin ?? t('detail.noPin')}</dd>
          </>
        )}
        <dt>{t('booking.dialOut')}</dt>
        <dd>{yesNo(m.dialOut)}</dd>
        <dt>{t('booking.guests')}</dt>
        <dd>{yesNo(m.allowGuests)}</dd>
      </dl>
      <Actions meeting={m} lang={lang} session={session} onCancelled={reload} onSignedOut={onSignedOut} />
      <JoinWays meeting={m} invitation={invitation} lang={lang} />
      <InvitationText text={invitation.text[lang]} lang={lang} />
      <Documents meeting={m} lang={lang} session={session} onSignedOut={onSignedOut} />
      <Recordings meeting={m} lang={lang} session={session} onSignedOut={onSignedOut} />
      <section aria-labelledby="invited-heading">
        <h3 id="invited-heading">{t('detail.invited', { count: m.invitedSites.length })}</h3>
        {m.invitedGroups.length > 0 && <p>{t('detail.groups', { groups: m.invitedGroups.map((g) => g.name).join(', ') })}</p>}
        {m.invitedSites.length ? (
          <ul class="invited">
            {m.invitedSites.map((s) => (
              <li key={s.id}>
                {s.name} <span class="code">{s.code}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">{t('detail.noSites')}</p>
        )}
      </section>
    </div>
  );
}

/** Live control and attendance when there is something to see; change and cancel for those who book. */
function Actions({
  meeting: m,
  lang,
  session,
  onCancelled,
  onSignedOut,
}: {
  meeting: Meeting;
  lang: Language;
  session: Session;
  onCancelled: () => void;
  onSignedOut: () => void;
}) {
  const t = (key: MessageKey) => translate(lang, key);
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const editable = canBook(session) && (m.status === 'scheduled' || m.status === 'live');
  const cancel = async () => {
    try {
      await api.cancelMeeting(m.id);
      onCancelled();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) onSignedOut();
      else setFailure(errorText(lang, err));
    }
  };
  return (
    <div class="toolbar">
      {m.status === 'live' && <a href={href({ page: 'live', meetingId: m.id })}>{t('live.open')}</a>}
      {(m.status === 'live' || m.status === 'ended') && <a href={href({ page: 'attendance', meetingId: m.id })}>{t('attendance.open')}</a>}
      {editable && (
        <a class="button" href={href({ page: 'booking', meetingId: m.id })}>
          {t('detail.edit')}
        </a>
      )}
      {canBook(session) && m.status === 'scheduled' && !confirming && (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          {t('detail.cancel')}
        </button>
      )}
      {confirming && (
        // biome-ignore lint/a11y/useSemanticElements: a group of two buttons asking one question, not a form
        <div class="confirm" role="group" aria-labelledby="cancel-question">
          <span id="cancel-question">{t('detail.cancelConfirm')}</span>
          {/* biome-ignore lint/a11y/noAutofocus: the question just appeared where the button was; the keyboard answers it there */}
          <button type="button" class="danger" autoFocus onClick={cancel}>
            {t('detail.cancelYes')}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            {t('detail.cancelNo')}
          </button>
        </div>
      )}
      {failure && (
        <p class="error" role="alert">
          {failure}
        </p>
      )}
    </div>
  );
}

/** How to join: the browser link, what room systems dial, and the calendar file. */
function JoinWays({ meeting: m, invitation: inv, lang }: { meeting: Meeting; invitation: Invitation; lang: Language }) {
  const t = (key: MessageKey) => translate(lang, key);
  return (
    <section aria-labelledby="join-heading">
      <h3 id="join-heading">{t('detail.join')}</h3>
      <dl class="facts">
        <dt>{t('detail.browser')}</dt>
        <dd>{inv.joinUrl ? <a href={inv.joinUrl}>{inv.joinUrl}</a> : t('detail.noJoinUrl')}</dd>
        <dt>{t('detail.sip')}</dt>
        <dd>
          <code>{inv.dialString}</code>
        </dd>
        {inv.h323Dial && (
          <>
            <dt>{t('detail.h323')}</dt>
            <dd>
              <code>{inv.h323Dial}</code>
            </dd>
          </>
        )}
        <dt>{t('detail.calendar')}</dt>
        <dd>
          <a href={api.calendarUrl(m.id)} download>
            {t('detail.ics')}
          </a>
        </dd>
      </dl>
    </section>
  );
}

/** The invitation to paste into a message, and a button that copies it (or selects it, for Ctrl+C, where the clipboard is refused). */
function InvitationText({ text, lang }: { text: string; lang: Language }) {
  const t = (key: MessageKey) => translate(lang, key);
  const [copied, setCopied] = useState<'copied' | 'selected' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('copied');
    } catch {
      const area = document.getElementById('invitation-text') as HTMLTextAreaElement | null;
      area?.focus();
      area?.select();
      setCopied('selected');
    }
  };
  return (
    <section aria-labelledby="invitation-heading">
      <h3 id="invitation-heading">{t('detail.invitation')}</h3>
      <label for="invitation-text" class="visually-hidden">
        {t('detail.invitation')}
      </label>
      <textarea id="invitation-text" class="invitation" readOnly rows={text.split('\n').length + 1} value={text} />
      <div class="toolbar">
        <button type="button" onClick={copy}>
          {t('detail.copy')}
        </button>
        <span aria-live="polite">{copied && t(copied === 'copied' ? 'detail.copied' : 'detail.selected')}</span>
      </div>
    </section>
  );
}
