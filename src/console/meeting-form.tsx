import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Meeting, type MeetingInput, type Problem, type Session, type SiteGroupSummary, type SiteRef } from './api';
import { addDays, instantOf, offsetName, spanText, zonedFields } from './district-time';
import { errorText, translate, type Language, type MessageKey } from './i18n';
import { canBook, Loading } from './meetings';
import { href } from './router';
import { SitePicker } from './site-picker';
import { useApi } from './use-api';

/** What the form holds: the inputs' own values, times in the district's zone. */
interface Fields {
  title: string;
  room: string;
  date: string;
  start: string;
  end: string;
  pin: string;
  sites: Set<string>;
  groups: Set<string>;
  chair: string;
  dialOut: boolean;
  allowGuests: boolean;
  mode: Meeting['mode'];
  language: Meeting['language'];
  contentPolicy: Meeting['contentPolicy'];
}

type Field = keyof MeetingInput;
type FieldErrors = Partial<Record<Field, string>>;

/** The input each API field is typed into: a field error is shown under it, and the first one is focused. */
const INPUT_OF: Record<Field, string> = {
  title: 'm-title',
  startsAt: 'm-start',
  endsAt: 'm-end',
  roomNumber: 'm-room',
  pin: 'm-pin',
  invitedSites: 'm-site-search',
  invitedGroups: 'm-groups',
  chairSite: 'm-chair',
  dialOut: 'm-dial-out',
  allowGuests: 'm-guests',
  mode: 'm-mode',
  language: 'm-language',
  contentPolicy: 'm-content-policy',
};

const HOUR = 3600_000;

function blank(zone: string): Fields {
  const next = Math.ceil(Date.now() / HOUR) * HOUR;
  const start = zonedFields(new Date(next), zone);
  return {
    title: '',
    room: '',
    date: start.date,
    start: start.time,
    end: zonedFields(new Date(next + HOUR), zone).time,
    pin: '',
    sites: new Set(),
    groups: new Set(),
    chair: '',
    dialOut: false,
    allowGuests: false,
    mode: 'discussion',
    language: 'vi',
    contentPolicy: 'take-over',
  };
}

function fieldsOf(m: Meeting, zone: string): Fields {
  const start = zonedFields(m.startsAt, zone);
  return {
    title: m.title,
    room: String(m.roomNumber),
    date: start.date,
    start: start.time,
    end: zonedFields(m.endsAt, zone).time,
    pin: m.pin ?? '',
    sites: new Set(m.invitedSites.map((s) => s.id)),
    groups: new Set(m.invitedGroups.map((g) => g.id)),
    chair: m.chairSite?.id ?? '',
    dialOut: m.dialOut,
    allowGuests: m.allowGuests,
    mode: m.mode,
    language: m.language,
    contentPolicy: m.contentPolicy,
  };
}

/**
 * The booking the fields describe, or what is wrong with them. An end time before the start is on
 * the next day (a meeting through midnight).
 */
function inputOf(f: Fields, zone: string, editing: boolean): { input: MeetingInput } | { errors: Partial<Record<Field, MessageKey>> } {
  const errors: Partial<Record<Field, MessageKey>> = {};
  if (!f.title.trim()) errors.title = 'booking.required';
  if (editing ? !/^\d+$/.test(f.room) : !/^\d*$/.test(f.room)) errors.roomNumber = 'booking.roomDigits';
  if (!f.date || !f.start) errors.startsAt = 'booking.required';
  if (!f.end) errors.endsAt = 'booking.required';
  else if (f.end === f.start) errors.endsAt = 'booking.endAfterStart';
  if (Object.keys(errors).length) return { errors };
  return {
    input: {
      title: f.title.trim(),
      ...(f.room && { roomNumber: Number(f.room) }),
      pin: f.pin || null,
      startsAt: instantOf(f.date, f.start, zone).toISOString(),
      endsAt: instantOf(f.end < f.start ? addDays(f.date, 1) : f.date, f.end, zone).toISOString(),
      invitedSites: [...f.sites],
      invitedGroups: [...f.groups],
      chairSite: f.chair || null,
      dialOut: f.dialOut,
      allowGuests: f.allowGuests,
      mode: f.mode,
      language: f.language,
      contentPolicy: f.contentPolicy,
    },
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * A change sends what changed; the invitation (sites and groups together) only when it did; a live
 * meeting never its room or start, which it keeps.
 */
function changeOf(meeting: Meeting, after: MeetingInput, zone: string): Partial<MeetingInput> {
  const was = inputOf(fieldsOf(meeting, zone), zone, true);
  if (!('input' in was)) return after;
  const before = was.input;
  if (meeting.status === 'live') {
    before.startsAt = after.startsAt;
    before.roomNumber = after.roomNumber;
  }
  const change: Partial<Record<Field, unknown>> = {};
  for (const key of ['title', 'roomNumber', 'pin', 'startsAt', 'endsAt', 'chairSite', 'dialOut', 'allowGuests', 'mode', 'language', 'contentPolicy'] as const) {
    if (before[key] !== after[key]) change[key] = after[key];
  }
  if (!sameSet(before.invitedSites, after.invitedSites) || !sameSet(before.invitedGroups, after.invitedGroups)) {
    change.invitedSites = after.invitedSites;
    change.invitedGroups = after.invitedGroups;
  }
  return change as Partial<MeetingInput>;
}

/** The API's field name (`invitedSites[3]`) as the form's. */
function fieldOf(apiField: string): Field | null {
  const name = apiField.split(/[.[]/)[0] ?? '';
  return name in INPUT_OF ? (name as Field) : null;
}

interface Loaded {
  sites: SiteRef[];
  groups: SiteGroupSummary[];
  meeting: Meeting | null;
}

/** Booking a meeting (`#meetings/new`) or changing one that has not ended (`#meetings/<id>/edit`). */
export function MeetingForm({
  meetingId,
  lang,
  session,
  onSignedOut,
}: {
  meetingId: string | null;
  lang: Language;
  session: Session;
  onSignedOut: () => void;
}) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const { data, error } = useApi<Loaded>(
    async () => {
      const [sites, groups, meeting] = await Promise.all([
        api.enabledSites(),
        api.siteGroups().then((page) => page.items),
        meetingId ? api.meeting(meetingId) : null,
      ]);
      return { sites, groups, meeting };
    },
    [meetingId],
    lang,
    onSignedOut,
  );
  if (!canBook(session))
    return (
      <p class="error" role="alert">
        {t('booking.forbidden')}
      </p>
    );
  if (!data) return <Loading lang={lang} error={error} done={false} />;
  const { meeting } = data;
  if (meeting && (meeting.status === 'ended' || meeting.status === 'cancelled'))
    return (
      <p class="error" role="alert">
        {t('booking.closed', { status: t(`status.${meeting.status}`) })} <a href={href({ page: 'meeting', meetingId: meeting.id })}>{meeting.title}</a>
      </p>
    );
  return <Form key={meeting?.id ?? 'new'} loaded={data} lang={lang} session={session} onSignedOut={onSignedOut} />;
}

function Form({
  loaded: { sites, groups, meeting },
  lang,
  session,
  onSignedOut,
}: {
  loaded: Loaded;
  lang: Language;
  session: Session;
  onSignedOut: () => void;
}) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const zone = session.timeZone;
  const [fields, setFields] = useState<Fields>(() => (meeting ? fieldsOf(meeting, zone) : blank(zone)));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  /** The element to focus once the page shows what went wrong, and a count that asks for it again. */
  const [focus, setFocus] = useState<{ id: string; n: number } | null>(null);
  useEffect(() => {
    if (focus) document.getElementById(focus.id)?.focus();
  }, [focus]);

  const live = meeting?.status === 'live';
  const set = <K extends keyof Fields>(key: K, value: Fields[K]) => setFields((f) => ({ ...f, [key]: value }));
  const errorId = (field: Field) => (errors[field] ? `${INPUT_OF[field]}-error` : undefined);
  const describe = (field: Field, hint?: string) => ({
    'aria-invalid': errors[field] ? ('true' as const) : undefined,
    'aria-describedby': [hint, errorId(field)].filter(Boolean).join(' ') || undefined,
  });
  const fieldError = (field: Field) =>
    errors[field] && (
      <p id={errorId(field)} class="field-error">
        {errors[field]}
      </p>
    );
  const showErrors = (found: FieldErrors) => {
    setErrors(found);
    const first = (Object.keys(INPUT_OF) as Field[]).find((f) => found[f]);
    if (first) setFocus((p) => ({ id: INPUT_OF[first], n: (p?.n ?? 0) + 1 }));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setFailure(null);
    setConflict(null);
    const made = inputOf(fields, zone, !!meeting);
    if ('errors' in made) {
      showErrors(Object.fromEntries(Object.entries(made.errors).map(([field, key]) => [field, t(key)])));
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const saved = meeting ? await api.changeMeeting(meeting.id, changeOf(meeting, made.input, zone)) : await api.book(made.input);
      location.hash = href({ page: 'meeting', meetingId: saved.id });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return onSignedOut();
      const { problem } = err;
      if (err.status === 409 && (problem.conflictingMeeting || problem.conflicts?.length)) {
        setConflict(problem);
        setFocus((p) => ({ id: 'conflict', n: (p?.n ?? 0) + 1 }));
      } else if (err.status === 422 && problem.errors?.length) {
        const found: FieldErrors = {};
        const rest: string[] = [];
        for (const { field, message } of problem.errors) {
          const f = fieldOf(field);
          if (f) found[f] = found[f] ? `${found[f]}; ${message}` : message;
          else rest.push(`${field}: ${message}`);
        }
        showErrors(found);
        if (rest.length) setFailure(errorText(lang, { ...err, detail: rest.join('; ') }));
      } else setFailure(errorText(lang, err));
    } finally {
      setBusy(false);
    }
  };

  const zoneHint = t('booking.zoneHint', {
    zone,
    offset: offsetName(instantOf(fields.date || zonedFields(new Date(), zone).date, fields.start || '12:00', zone), zone, lang),
  });
  const nextDay = fields.end && fields.start && fields.end < fields.start;
  return (
    <form class="booking" onSubmit={submit} noValidate aria-labelledby="booking-heading">
      <h2 id="booking-heading">{meeting ? t('booking.editHeading', { title: meeting.title }) : t('booking.heading')}</h2>
      <div class="field wide">
        <label for="m-title">{t('booking.title')}</label>
        <input id="m-title" required maxLength={200} value={fields.title} onInput={(e) => set('title', e.currentTarget.value)} {...describe('title')} />
        {fieldError('title')}
      </div>
      <fieldset class="when-fields" aria-describedby="zone-hint">
        <legend>{t('booking.when')}</legend>
        <p id="zone-hint" class="hint">
          {zoneHint}
        </p>
        <div class="field">
          <label for="m-date">{t('booking.date')}</label>
          <input
            id="m-date"
            type="date"
            required
            disabled={live}
            value={fields.date}
            onInput={(e) => set('date', e.currentTarget.value)}
            {...describe('startsAt')}
          />
        </div>
        <div class="field">
          <label for="m-start">{t('booking.start')}</label>
          <input
            id="m-start"
            type="time"
            required
            disabled={live}
            value={fields.start}
            onInput={(e) => set('start', e.currentTarget.value)}
            {...describe('startsAt')}
          />
          {fieldError('startsAt')}
        </div>
        <div class="field">
          <label for="m-end">{t('booking.end')}</label>
          <input
            id="m-end"
            type="time"
            required
            value={fields.end}
            onInput={(e) => set('end', e.currentTarget.value)}
            {...describe('endsAt', nextDay ? 'm-end-hint' : undefined)}
          />
          {nextDay && (
            <p id="m-end-hint" class="hint">
              {t('booking.nextDay')}
            </p>
          )}
          {fieldError('endsAt')}
        </div>
      </fieldset>
      <div class="field">
        <label for="m-room">{t('booking.room')}</label>
        <input
          id="m-room"
          inputMode="numeric"
          disabled={live}
          value={fields.room}
          onInput={(e) => set('room', e.currentTarget.value.trim())}
          {...describe('roomNumber', meeting ? undefined : 'm-room-hint')}
        />
        {!meeting && (
          <p id="m-room-hint" class="hint">
            {t('booking.roomHint')}
          </p>
        )}
        {fieldError('roomNumber')}
      </div>
      <div class="field">
        <label for="m-pin">{t('booking.pin')}</label>
        <input
          id="m-pin"
          inputMode="numeric"
          autocomplete="off"
          value={fields.pin}
          onInput={(e) => set('pin', e.currentTarget.value.trim())}
          {...describe('pin', 'm-pin-hint')}
        />
        <p id="m-pin-hint" class="hint">
          {t('booking.pinHint')}
        </p>
        {fieldError('pin')}
      </div>
      <div class="wide">
        <SitePicker sites={sites} chosen={fields.sites} onChange={(next) => set('sites', next)} lang={lang} errorId={errorId('invitedSites')} />
        {fieldError('invitedSites')}
      </div>
      {groups.length > 0 && (
        <fieldset class="wide groups" aria-describedby={errorId('invitedGroups')}>
          <legend>{t('booking.groups')}</legend>
          {groups.map((g, i) => (
            <label key={g.id}>
              <input
                id={i === 0 ? 'm-groups' : undefined}
                type="checkbox"
                checked={fields.groups.has(g.id)}
                onChange={(e) => {
                  const next = new Set(fields.groups);
                  if (e.currentTarget.checked) next.add(g.id);
                  else next.delete(g.id);
                  set('groups', next);
                }}
              />{' '}
              {t('booking.group', { name: g.name, count: g.siteCount })}
            </label>
          ))}
          {fieldError('invitedGroups')}
        </fieldset>
      )}
      <div class="field">
        <label for="m-chair">{t('booking.chair')}</label>
        <select id="m-chair" value={fields.chair} onChange={(e) => set('chair', e.currentTarget.value)} {...describe('chairSite')}>
          <option value="">{t('booking.noChair')}</option>
          {sites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.code})
            </option>
          ))}
        </select>
        {fieldError('chairSite')}
      </div>
      <div class="field">
        <label for="m-mode">{t('booking.mode')}</label>
        <select id="m-mode" value={fields.mode} onChange={(e) => set('mode', e.currentTarget.value as Meeting['mode'])}>
          <option value="discussion">{t('mode.discussion')}</option>
          <option value="lecture">{t('mode.lecture')}</option>
        </select>
      </div>
      <div class="field">
        <label for="m-language">{t('booking.language')}</label>
        <select id="m-language" value={fields.language} onChange={(e) => set('language', e.currentTarget.value as Meeting['language'])}>
          <option value="vi">Tiếng Việt</option>
          <option value="en">English</option>
        </select>
      </div>
      <div class="field">
        <label for="m-content-policy">{t('booking.contentPolicy')}</label>
        <select id="m-content-policy" value={fields.contentPolicy} onChange={(e) => set('contentPolicy', e.currentTarget.value as Meeting['contentPolicy'])}>
          <option value="take-over">{t('contentPolicy.take-over')}</option>
          <option value="queue">{t('contentPolicy.queue')}</option>
        </select>
        {fieldError('contentPolicy')}
      </div>
      <div class="checks wide">
        <label>
          <input id="m-dial-out" type="checkbox" checked={fields.dialOut} onChange={(e) => set('dialOut', e.currentTarget.checked)} /> {t('booking.dialOut')}
        </label>
        <label>
          <input id="m-guests" type="checkbox" checked={fields.allowGuests} onChange={(e) => set('allowGuests', e.currentTarget.checked)} />{' '}
          {t('booking.guests')}
        </label>
      </div>
      {conflict && <Conflict problem={conflict} lang={lang} zone={zone} />}
      {failure && (
        <p class="error wide" role="alert">
          {failure}
        </p>
      )}
      <div class="actions wide">
        <button type="submit" class="primary" disabled={busy}>
          {meeting ? t('booking.save') : t('booking.submit')}
        </button>
        <a href={meeting ? href({ page: 'meeting', meetingId: meeting.id }) : href({ page: 'meetings' })}>{t('booking.back')}</a>
      </div>
    </form>
  );
}

/** A refused booking: what is in the way, each with a link to it. */
function Conflict({ problem, lang, zone }: { problem: Problem; lang: Language; zone: string }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const items = problem.conflicts?.length
    ? problem.conflicts.map((c) => ({ why: t('booking.conflictSite', { site: c.site.name }), meeting: c.meeting }))
    : problem.conflictingMeeting
      ? [{ why: t('booking.conflictRoom', { room: problem.conflictingMeeting.roomNumber }), meeting: problem.conflictingMeeting }]
      : [];
  return (
    <section id="conflict" class="conflict wide" role="alert" aria-labelledby="conflict-heading" tabIndex={-1}>
      <h3 id="conflict-heading">{t('booking.conflict')}</h3>
      <ul>
        {items.map(({ why, meeting: m }, i) => (
          <li key={i}>
            {why} <a href={href({ page: 'meeting', meetingId: m.id })}>{m.title}</a> ({spanText(m.startsAt, m.endsAt, zone, lang)},{' '}
            {t('meeting.room', { room: m.roomNumber })})
          </li>
        ))}
      </ul>
    </section>
  );
}
