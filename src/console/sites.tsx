import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Site, type SiteGroupSummary, type SiteState } from './api';
import { formatWhen, translate, type MessageKey } from './i18n';
import { SiteFormPanel } from './site-form';
import { SiteGroups } from './site-groups';
import { SiteImport } from './site-import';
import { ListStatus, RowAction, type SitesPageProps, useDebounced, useListEditing } from './site-page';
import { relativeTime, siteCondition } from './site-view';
import { ScrollingTable } from './scrolling-table';

/** A district has ~300 sites: the table grows by this many at a time. */
const PAGE_SIZE = 50;
const STATE_REFRESH_MS = 30_000;

type Tab = 'list' | 'groups' | 'import';

/** The directory of room systems: the table with live state, the groups, and the CSV import. */
export function Sites(props: SitesPageProps) {
  const t = (key: MessageKey) => translate(props.lang, key);
  const [tab, setTab] = useState<Tab>('list');
  return (
    <div class="sites">
      <div class="toolbar">
        {(['list', 'groups', ...(props.canWrite ? (['import'] as const) : [])] as const).map((name) => (
          <button key={name} type="button" aria-pressed={tab === name} onClick={() => setTab(name)}>
            {t(`sites.tab.${name}`)}
          </button>
        ))}
      </div>
      {!props.canWrite && <p class="note">{t('readonly.note')}</p>}
      {tab === 'list' && <SiteList {...props} />}
      {tab === 'groups' && <SiteGroups {...props} />}
      {tab === 'import' && <SiteImport {...props} />}
    </div>
  );
}

function SiteList({ lang, canWrite, onSignedOut }: SitesPageProps) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const locale = lang === 'vi' ? 'vi-VN' : 'en-GB';
  const [q, setQ] = useState('');
  const [group, setGroup] = useState('');
  const [groups, setGroups] = useState<SiteGroupSummary[]>([]);
  const [sites, setSites] = useState<Site[] | null>(null);
  const [total, setTotal] = useState(0);
  const [states, setStates] = useState<Map<string, SiteState>>(new Map());
  const { editing, setEditing, notice, error, setError, reload, fail, done } = useListEditing<Site>(lang, onSignedOut);

  useEffect(() => {
    api.siteGroups().then((page) => setGroups(page.items), fail);
  }, []);

  const search = useDebounced(q.trim());

  // The first page again whenever the search, the group or the directory changes.
  useEffect(() => {
    let stopped = false;
    api.sites({ q: search, group, limit: PAGE_SIZE, offset: 0 }).then((page) => {
      if (stopped) return;
      setSites(page.items);
      setTotal(page.total);
      setError(null);
    }, fail);
    return () => {
      stopped = true;
    };
  }, [search, group, reload]);

  // The live columns of every site of the group (or of the directory: a district's few hundred are
  // one small answer), in one request whatever the search and however many rows are shown.
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api.siteStates(group).then((r) => {
        if (!stopped) setStates(new Map(r.items.map((s) => [s.siteId, s])));
      }, fail);
    void load();
    const timer = setInterval(load, STATE_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [group, reload]);

  const more = () =>
    api.sites({ q: search, group, limit: PAGE_SIZE, offset: sites?.length ?? 0 }).then((page) => {
      setSites([...(sites ?? []), ...page.items]);
      setTotal(page.total);
    }, fail);

  const setEnabled = (site: Site, enabled: boolean) => api.updateSite(site.id, { enabled }).then(() => done(t('sites.saved', { name: site.name })), fail);
  const remove = async (site: Site) => {
    if (!confirm(t('sites.delete.confirm', { name: site.name }))) return;
    try {
      await api.deleteSite(site.id);
      done(t('sites.deleted', { name: site.name }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) setError(t('sites.delete.refused', { name: site.name, detail: `${err.detail}.` }));
      else fail(err);
    }
  };

  if (editing)
    return (
      <SiteFormPanel
        lang={lang}
        value={editing === 'new' ? null : editing}
        onSaved={(site) => done(t('sites.saved', { name: site.name }))}
        onCancel={() => setEditing(null)}
        onSignedOut={onSignedOut}
      />
    );
  const now = Date.now();
  return (
    <section aria-labelledby="sites-heading">
      <h2 id="sites-heading">{t('nav.sites')}</h2>
      <div class="filters">
        <label>
          {t('sites.search')}
          <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <label>
          {t('sites.group')}
          <select value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
            <option value="">{t('sites.group.all')}</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        {canWrite && (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            {t('sites.add')}
          </button>
        )}
      </div>
      <ListStatus notice={notice} error={error} loading={!sites && t('loading')} />
      {sites && sites.length === 0 && <p class="empty">{t('sites.none')}</p>}
      {sites && sites.length > 0 && (
        <>
          <ScrollingTable label={t('nav.sites')}>
            <table class="site-table">
              <caption class="visually-hidden">{t('nav.sites')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('sites.col.code')}</th>
                  <th scope="col">{t('sites.col.name')}</th>
                  <th scope="col">{t('sites.col.protocol')}</th>
                  <th scope="col">{t('sites.col.state')}</th>
                  <th scope="col">{t('sites.col.lastSeen')}</th>
                  <th scope="col">{t('sites.col.device')}</th>
                  {canWrite && <th scope="col">{t('sites.col.actions')}</th>}
                </tr>
              </thead>
              <tbody>
                {sites.map((site) => {
                  const state = states.get(site.id);
                  const condition = siteCondition(site, state);
                  return (
                    <tr key={site.id} data-code={site.code}>
                      <td>{site.code}</td>
                      <th scope="row">{site.name}</th>
                      <td>{site.protocol === 'sip' ? 'SIP' : 'H.323'}</td>
                      <td>
                        <span class={`state ${condition}`}>{t(`state.${condition}`)}</span>
                      </td>
                      <td>
                        {state?.lastSeenAt ? (
                          <time dateTime={state.lastSeenAt} title={formatWhen(state.lastSeenAt, lang)}>
                            {relativeTime(state.lastSeenAt, now, locale)}
                            <span class="absolute">{formatWhen(state.lastSeenAt, lang)}</span>
                          </time>
                        ) : (
                          t('sites.never')
                        )}
                      </td>
                      <td>
                        {site.deviceModel ?? '—'}
                        {state?.userAgent && <span class="absolute">{t('sites.userAgent', { ua: state.userAgent })}</span>}
                      </td>
                      {canWrite && (
                        <td class="actions">
                          <RowAction label={t('sites.edit')} name={site.name} onClick={() => setEditing(site)} />
                          <RowAction
                            label={t(site.enabled ? 'sites.disable' : 'sites.enable')}
                            name={site.name}
                            onClick={() => setEnabled(site, !site.enabled)}
                          />
                          <RowAction label={t('sites.delete')} name={site.name} onClick={() => remove(site)} danger />
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollingTable>
          <p class="paging">
            {t('sites.count', { shown: sites.length, total })}
            {sites.length < total && (
              <button type="button" onClick={more}>
                {t('sites.more')}
              </button>
            )}
          </p>
        </>
      )}
    </section>
  );
}
