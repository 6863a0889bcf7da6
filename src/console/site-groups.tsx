import { useEffect, useState } from 'preact/hooks';
import { api, type SiteGroup, type SiteGroupSummary, type SiteRef } from './api';
import { translate, type MessageKey } from './i18n';
import { type EditorProps, FormActions, formFailure, ListStatus, RowAction, type SitesPageProps, useDebounced, useListEditing } from './site-page';

/** Site groups ("all communes", a cluster) that a booking invites at once: list, add, rename, members, delete. */
export function SiteGroups({ lang, canWrite, onSignedOut }: SitesPageProps) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [groups, setGroups] = useState<SiteGroupSummary[] | null>(null);
  const { editing, setEditing, notice, error, reload, fail, done } = useListEditing<SiteGroup>(lang, onSignedOut);

  useEffect(() => {
    api.siteGroups().then((page) => setGroups(page.items), fail);
  }, [reload]);

  const remove = (g: SiteGroupSummary) => {
    if (confirm(t('groups.delete.confirm', { name: g.name }))) api.deleteSiteGroup(g.id).then(() => done(t('sites.deleted', { name: g.name })), fail);
  };

  if (editing)
    return (
      <GroupEditor
        lang={lang}
        value={editing === 'new' ? null : editing}
        onSaved={(g) => done(t('groups.saved', { name: g.name }))}
        onCancel={() => setEditing(null)}
        onSignedOut={onSignedOut}
      />
    );
  return (
    <section aria-labelledby="groups-heading">
      <h2 id="groups-heading">{t('groups.heading')}</h2>
      {canWrite && (
        <button type="button" class="primary" onClick={() => setEditing('new')}>
          {t('groups.add')}
        </button>
      )}
      <ListStatus notice={notice} error={error} loading={!groups && t('loading')} />
      {groups?.length === 0 && <p class="empty">{t('groups.none')}</p>}
      {groups && groups.length > 0 && (
        <ul class="groups">
          {groups.map((g) => (
            <li key={g.id} data-code={g.code}>
              <span class="title">{g.name}</span>
              <span>{g.code}</span>
              <span>{t('groups.members', { count: g.siteCount })}</span>
              {g.description && <span class="description">{g.description}</span>}
              {canWrite && (
                <span class="actions">
                  <RowAction label={t('groups.edit')} name={g.name} onClick={() => api.siteGroup(g.id).then(setEditing, fail)} />
                  <RowAction label={t('groups.delete')} name={g.name} onClick={() => remove(g)} danger />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function GroupEditor({ lang, value: group, onSaved, onCancel, onSignedOut }: EditorProps<SiteGroup>) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [code, setCode] = useState(group?.code ?? '');
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [members, setMembers] = useState<SiteRef[]>(group?.sites ?? []);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<SiteRef[]>([]);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const fail = formFailure(lang, onSignedOut, ['code', 'name', 'description', 'sites'], setErrors);
  const search = useDebounced(q.trim());

  useEffect(() => {
    if (!search) return setFound([]);
    let stopped = false;
    api.sites({ q: search, limit: 20, offset: 0 }).then((page) => {
      if (!stopped) setFound(page.items);
    }, fail);
    return () => {
      stopped = true;
    };
  }, [search]);

  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const input = { code: code.trim(), name, description: description.trim() || null, sites: members.map((m) => m.id) };
    (group ? api.updateSiteGroup(group.id, input) : api.createSiteGroup(input)).then(onSaved, fail).finally(() => setBusy(false));
  };
  const chosen = new Set(members.map((m) => m.id));
  const input = (field: 'code' | 'name' | 'description', label: MessageKey, value: string, onValue: (v: string) => void) => {
    const problems = errors[field];
    return (
      <div class="field">
        <label for={`group-${field}`}>{t(label)}</label>
        <input
          id={`group-${field}`}
          value={value}
          onInput={(e) => onValue(e.currentTarget.value)}
          aria-invalid={problems ? 'true' : undefined}
          aria-describedby={problems ? `group-${field}-error` : undefined}
        />
        {problems && (
          <small id={`group-${field}-error`} class="error">
            {problems.join('; ')}
          </small>
        )}
      </div>
    );
  };
  return (
    <form class="site-form" onSubmit={submit} noValidate aria-labelledby="group-form-heading">
      <h2 id="group-form-heading">{group ? `${t('groups.edit')}: ${group.name}` : t('groups.add')}</h2>
      {(errors[''] || errors['sites']) && (
        <div class="error" role="alert">
          {[...(errors[''] ?? []), ...(errors['sites'] ?? [])].map((m) => (
            <p key={m}>{m}</p>
          ))}
        </div>
      )}
      {input('code', 'groups.code', code, setCode)}
      {input('name', 'groups.name', name, setName)}
      {input('description', 'groups.description', description, setDescription)}
      <fieldset>
        <legend>{t('groups.chosen', { count: members.length })}</legend>
        <ul class="members">
          {members.map((m) => (
            <li key={m.id}>
              {m.name}
              <button type="button" onClick={() => setMembers(members.filter((x) => x.id !== m.id))}>
                {t('groups.removeMember', { name: m.name })}
              </button>
            </li>
          ))}
        </ul>
        <div class="field">
          <label for="group-pick">{t('groups.pick')}</label>
          <input id="group-pick" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <ul class="members found" aria-live="polite">
          {found
            .filter((s) => !chosen.has(s.id))
            .map((s) => (
              <li key={s.id}>
                {s.name} ({s.code})
                <button type="button" onClick={() => setMembers([...members, { id: s.id, code: s.code, name: s.name }])}>
                  {t('groups.addMember', { name: s.name })}
                </button>
              </li>
            ))}
        </ul>
      </fieldset>
      <FormActions lang={lang} busy={busy} onCancel={onCancel} />
    </form>
  );
}
