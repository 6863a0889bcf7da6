import { useState } from 'preact/hooks';
import { Alert, translator, useFailure, useLoaded, type AdminProps } from './admin-common';
import { ScrollingTable } from './scrolling-table';
import { api, type AuditEvent, type AuditFilter } from './api';
import { formatWhen } from './i18n';

const PAGE_SIZE = 25;
const DAY_MS = 24 * 3600_000;

/** The audit log, newest first, narrowed to a person, a site or a meeting, a page at a time. */
export function AuditLog({ lang, onSignedOut }: AdminProps) {
  const t = translator(lang);
  const { error, fail } = useFailure(lang, onSignedOut);
  const [filter, setFilter] = useState<AuditFilter>({});
  const [offset, setOffset] = useState(0);
  const { value: page } = useLoaded(() => api.admin.audit(filter, offset, PAGE_SIZE), fail, [filter, offset]);
  const { value: choices } = useLoaded(async () => {
    const now = Date.now();
    const [accounts, sites, meetings] = await Promise.all([
      api.admin.accounts(),
      api.admin.sites(),
      api.meetings(new Date(now - 30 * DAY_MS), new Date(now + 30 * DAY_MS)),
    ]);
    return { people: accounts.items, sites: sites.items, meetings: meetings.items };
  }, fail);

  /** One target at a time: the API narrows to a site or a meeting, not both. */
  const narrow = (change: AuditFilter) => {
    const target = 'siteId' in change || 'meetingId' in change ? { siteId: undefined, meetingId: undefined } : {};
    const next = { ...filter, ...target, ...change };
    setFilter(Object.fromEntries(Object.entries(next).filter(([, v]) => v)) as AuditFilter);
    setOffset(0);
  };
  const select = (id: string, label: string, value: string | undefined, options: { id: string; text: string }[], set: (v: string) => void) => (
    <span class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => set(e.currentTarget.value)}>
        <option value="">{t('audit.any')}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.text}
          </option>
        ))}
      </select>
    </span>
  );

  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">{t('admin.tab.audit')}</h2>
      <Alert text={error} />
      <div class="filters">
        {select(
          'audit-person',
          t('audit.person'),
          filter.operatorId,
          (choices?.people ?? []).map((p) => ({ id: p.id, text: `${p.name} (${p.username})` })),
          (v) => narrow({ operatorId: v }),
        )}
        {select(
          'audit-site',
          t('audit.site'),
          filter.siteId,
          (choices?.sites ?? []).map((s) => ({ id: s.id, text: s.name })),
          (v) => narrow({ siteId: v }),
        )}
        {select(
          'audit-meeting',
          t('audit.meeting'),
          filter.meetingId,
          (choices?.meetings ?? []).map((m) => ({ id: m.id, text: `${m.title} — ${formatWhen(m.startsAt, lang)}` })),
          (v) => narrow({ meetingId: v }),
        )}
      </div>
      {page && page.items.length === 0 && <p class="empty">{t('audit.empty')}</p>}
      {page && page.items.length > 0 && (
        <>
          <ScrollingTable labelledBy="audit-heading">
            <table class="audit">
              <thead>
                <tr>
                  <th scope="col">{t('audit.when')}</th>
                  <th scope="col">{t('audit.who')}</th>
                  <th scope="col">{t('audit.what')}</th>
                  <th scope="col">{t('audit.target')}</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((e) => (
                  <tr key={e.id}>
                    <td>{formatWhen(e.at, lang)}</td>
                    <td>{e.actor}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>{target(e)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollingTable>
          <div class="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              {t('audit.previous')}
            </button>
            <span aria-live="polite">{t('audit.range', { from: offset + 1, to: offset + page.items.length, total: page.total })}</span>
            <button type="button" disabled={offset + PAGE_SIZE >= page.total} onClick={() => setOffset(offset + PAGE_SIZE)}>
              {t('audit.next')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** What an event was done to, by the name its detail recorded (the row itself may be gone since). */
function target(e: AuditEvent): string {
  const d = e.detail;
  const named = [d['title'], d['name'], d['code'], d['username']].find((v): v is string => typeof v === 'string');
  return named ? `${e.resourceType}: ${named}` : `${e.resourceType}${e.resourceId ? ` ${e.resourceId.slice(0, 8)}` : ''}`;
}
