import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type SiteGroup, type SiteGroupSummary, type SiteRef } from './api';
import { errorText, translate, type Language, type MessageKey } from './i18n';
import { failureHandler, type SitesPageProps } from './site-page';
import { errorsByField } from './site-view';

/** Site groups ("all communes", a cluster) that a booking invites at once: list, add, rename, members, delete. */
export function SiteGroups({ lang, canWrite, onSignedOut }: SitesPageProps) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [groups, setGroups] = useState<SiteGroupSummary[] | null>(null);
  const [editing, setEditing] = useState<SiteGroup | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const fail = failureHandler(lang, onSignedOut, setError);

  useEffect(() => {
    api.siteGroups().then((page) => setGroups(page.items), fail);
  }, [reload]);

  const done = (message: string) => {
    setEditing(null);
    setNotice(message);
    setReload(reload + 1);
  };
  const remove = (g: SiteGroupSummary) => {
    if (confirm(t('groups.delete.confirm', { name: g.name }))) api.deleteSiteGroup(g.id).then(() => done(t('sites.deleted', { name: g.name })), fail);
  };

  if (editing)
    return (
      <GroupEditor
        lang={lang}
        group={editing === 'new' ? null : editing}
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
      <p aria-live="polite" class="notice">
        {notice}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!groups && !error && <p aria-busy="true">{t('loading')}</p>}
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
                  <button type="button" onClick={() => api.siteGroup(g.id).then(setEditing, fail)}>
                    {t('groups.edit')}
                    <span class="visually-hidden"> {g.name}</span>
                  </button>
                  <button type="button" class="danger" onClick={() => remove(g)}>
                    {t('groups.delete')}
                    <span class="visually-hidden"> {g.name}</span>
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function GroupEditor({
  lang,
  group,
  onSaved,
  onCancel,
  onSignedOut,
}: {
  lang: Language;
  group: SiteGroup | null;
  onSaved: (g: SiteGroup) => void;
  onCancel: () => void;
  onSignedOut: () => void;
}) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [code, setCode] = useState(group?.code ?? '');
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [members, setMembers] = useState<SiteRef[]>(group?.sites ?? []);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<SiteRef[]>([]);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const fail = failureHandler(lang, onSignedOut, (text) => setErrors({ '': [text] }));

  useEffect(() => {
    if (!q.trim()) return setFound([]);
    let stopped = false;
    const timer = setTimeout(() => {
      api.sites({ q: q.trim(), limit: 20, offset: 0 }).then((page) => {
        if (!stopped) setFound(page.items);
      }, fail);
    }, 250);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [q]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const input = { code: code.trim(), name, description: description.trim() || null, sites: members.map((m) => m.id) };
    try {
      onSaved(group ? await api.updateSiteGroup(group.id, input) : await api.createSiteGroup(input));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return onSignedOut();
      setErrors(err.errors.length ? errorsByField(err.errors, ['code', 'name', 'description', 'sites']) : { '': [errorText(lang, err)] });
    }
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
      <div class="form-actions">
        <button type="submit" class="primary">
          {t('form.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}
