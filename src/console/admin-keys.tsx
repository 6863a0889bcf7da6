import { useState } from 'preact/hooks';
import { Alert, RowButton, RoleOptions, translator, useFailure, useLoaded, type AdminProps } from './admin-common';
import { ScrollingTable } from './scrolling-table';
import { api, type ApiKey, type Role } from './api';
import { formatWhen } from './i18n';

/** API keys: listed without secrets; a new key's token shown once; revoked after a confirmation. */
export function ApiKeys({ lang, onSignedOut }: AdminProps) {
  const t = translator(lang);
  const { error, setError, fail } = useFailure(lang, onSignedOut);
  const { value: keys, reload } = useLoaded(() => api.admin.keys().then((r) => r.items), fail);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [issued, setIssued] = useState<(ApiKey & { token: string }) | null>(null);
  const [copied, setCopied] = useState(false);

  const issue = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setIssued(await api.admin.issueKey(name.trim(), role));
      setCopied(false);
      setName('');
      reload();
    } catch (err) {
      fail(err);
    }
  };
  const revoke = async (key: ApiKey) => {
    if (!confirm(t('keys.revokeConfirm', { name: key.name }))) return;
    setError(null);
    await api.admin.revokeKey(key.id).then(reload, fail);
  };
  const copy = async (token: string) => {
    await navigator.clipboard.writeText(token).then(
      () => setCopied(true),
      () => undefined,
    );
  };

  return (
    <section aria-labelledby="keys-heading">
      <h2 id="keys-heading">{t('admin.tab.keys')}</h2>
      <Alert text={error} />
      {issued && (
        <section class="issued" aria-labelledby="issued-heading">
          <h3 id="issued-heading">{t('keys.token', { name: issued.name })}</h3>
          <p class="warning">{t('keys.tokenWarning', { role: t(`role.${issued.role}`) })}</p>
          <code class="token">{issued.token}</code>
          <div class="row">
            <button type="button" onClick={() => copy(issued.token)}>
              {t('keys.copy')}
            </button>
            <button type="button" onClick={() => setIssued(null)}>
              {t('keys.done')}
            </button>
          </div>
          <p role="status">{copied ? t('keys.copied') : ''}</p>
        </section>
      )}
      {keys && keys.length === 0 && <p class="empty">{t('keys.none')}</p>}
      {keys && keys.length > 0 && (
        <ScrollingTable labelledBy="keys-heading">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.name')}</th>
                <th scope="col">{t('admin.role')}</th>
                <th scope="col">{t('admin.created')}</th>
                <th scope="col">{t('keys.lastUsed')}</th>
                <th scope="col">{t('keys.state')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>{t(`role.${k.role}`)}</td>
                  <td>{formatWhen(k.createdAt, lang)}</td>
                  <td>{k.lastUsedAt ? formatWhen(k.lastUsedAt, lang) : t('admin.never')}</td>
                  <td>{k.revokedAt ? t('keys.revoked', { when: formatWhen(k.revokedAt, lang) }) : t('keys.active')}</td>
                  <td>{!k.revokedAt && <RowButton danger label={t('keys.revoke')} subject={k.name} onClick={() => revoke(k)} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollingTable>
      )}
      <form class="panel inline" onSubmit={issue} aria-labelledby="issue-heading">
        <h3 id="issue-heading">{t('keys.issue')}</h3>
        <span class="field">
          <label for="key-name">{t('admin.name')}</label>
          <input id="key-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </span>
        <span class="field">
          <label for="key-role">{t('admin.role')}</label>
          <select id="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            <RoleOptions lang={lang} />
          </select>
        </span>
        <button type="submit" disabled={!name.trim()}>
          {t('keys.issueSubmit')}
        </button>
      </form>
    </section>
  );
}
