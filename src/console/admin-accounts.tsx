import { useState } from 'preact/hooks';
import { Alert, RowButton, RoleOptions, translator, useFailure, useLoaded, type AdminProps } from './admin-common';
import { ScrollingTable } from './scrolling-table';
import { api, type Account, type Role } from './api';
import { formatWhen } from './i18n';

/** Operator accounts: created, renamed, given another role, disabled, reset and (if never used) deleted. */
export function Accounts({ lang, onSignedOut, self }: AdminProps & { self: string }) {
  const t = translator(lang);
  const { error, setError, fail } = useFailure(lang, onSignedOut);
  const { value: accounts, reload } = useLoaded(() => api.admin.accounts().then((r) => r.items), fail);
  const [editing, setEditing] = useState<Account | null>(null);
  const [saved, setSaved] = useState(false);

  /** Runs a change; the list is read again whatever came of it, and the outcome said. */
  const change = async (run: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    setSaved(false);
    try {
      await run();
      setSaved(true);
      return true;
    } catch (err) {
      fail(err);
      return false;
    } finally {
      reload();
    }
  };
  const remove = (a: Account) => {
    if (confirm(t('accounts.deleteConfirm', { username: a.username }))) void change(() => api.admin.deleteAccount(a.id));
  };

  return (
    <section aria-labelledby="accounts-heading">
      <h2 id="accounts-heading">{t('admin.tab.operators')}</h2>
      <Alert text={error} />
      <p role="status">{saved ? t('accounts.saved') : ''}</p>
      {accounts && (
        <ScrollingTable labelledBy="accounts-heading">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('accounts.username')}</th>
                <th scope="col">{t('admin.name')}</th>
                <th scope="col">{t('admin.role')}</th>
                <th scope="col">{t('keys.state')}</th>
                <th scope="col">{t('accounts.lastSignIn')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id} class={a.enabled ? undefined : 'disabled'}>
                  <td>{a.username}</td>
                  <td>{a.name}</td>
                  <td>{t(`role.${a.role}`)}</td>
                  <td>{a.enabled ? t('accounts.enabled') : t('accounts.disabled')}</td>
                  <td>{a.lastSignInAt ? formatWhen(a.lastSignInAt, lang) : t('admin.never')}</td>
                  <td>
                    <div class="row">
                      <RowButton label={t('accounts.edit')} subject={a.username} onClick={() => setEditing(a)} />
                      {a.id !== self && (
                        <RowButton
                          label={a.enabled ? t('accounts.disable') : t('accounts.enable')}
                          subject={a.username}
                          onClick={() => change(() => api.admin.updateAccount(a.id, { enabled: !a.enabled }))}
                        />
                      )}
                      {a.id !== self && <RowButton danger label={t('accounts.delete')} subject={a.username} onClick={() => remove(a)} />}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollingTable>
      )}
      {editing ? (
        <EditAccount
          key={editing.id}
          lang={lang}
          account={editing}
          onSave={async (patch) => {
            if (await change(() => api.admin.updateAccount(editing.id, patch))) setEditing(null);
          }}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <CreateAccount lang={lang} onCreate={(account) => change(() => api.admin.createAccount(account))} />
      )}
    </section>
  );
}

function CreateAccount({
  lang,
  onCreate,
}: {
  lang: AdminProps['lang'];
  onCreate: (a: { username: string; name: string; role: Role; password: string }) => Promise<boolean>;
}) {
  const t = translator(lang);
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    if (await onCreate({ username: username.trim(), name: name.trim(), role, password })) {
      setUsername('');
      setName('');
      setPassword('');
    }
  };
  return (
    <form class="panel inline" onSubmit={submit} aria-labelledby="create-heading">
      <h3 id="create-heading">{t('accounts.create')}</h3>
      <span class="field">
        <label for="new-username">{t('accounts.username')}</label>
        <input id="new-username" required autocomplete="off" maxLength={64} value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
      </span>
      <span class="field">
        <label for="new-name">{t('admin.name')}</label>
        <input id="new-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </span>
      <span class="field">
        <label for="new-role">{t('admin.role')}</label>
        <select id="new-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          <RoleOptions lang={lang} />
        </select>
      </span>
      <span class="field">
        <label for="new-password">{t('accounts.password')}</label>
        <input id="new-password" type="password" required autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </span>
      <button type="submit" disabled={!username.trim() || !name.trim() || !password}>
        {t('accounts.createSubmit')}
      </button>
    </form>
  );
}

function EditAccount({
  lang,
  account,
  onSave,
  onCancel,
}: {
  lang: AdminProps['lang'];
  account: Account;
  onSave: (patch: { name?: string; role?: Role; password?: string }) => Promise<void>;
  onCancel: () => void;
}) {
  const t = translator(lang);
  const [name, setName] = useState(account.name);
  const [role, setRole] = useState<Role>(account.role);
  const [password, setPassword] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    // Only what changed is sent, so that the audit log names only real changes.
    void onSave({
      ...(name.trim() !== account.name && { name: name.trim() }),
      ...(role !== account.role && { role }),
      ...(password && { password }),
    });
  };
  return (
    <form class="panel inline" onSubmit={submit} aria-labelledby="edit-heading">
      <h3 id="edit-heading">{t('accounts.editing', { username: account.username })}</h3>
      <span class="field">
        <label for="edit-name">{t('admin.name')}</label>
        <input id="edit-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </span>
      <span class="field">
        <label for="edit-role">{t('admin.role')}</label>
        <select id="edit-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          <RoleOptions lang={lang} />
        </select>
      </span>
      <span class="field">
        <label for="edit-password">{t('accounts.newPassword')}</label>
        <input id="edit-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </span>
      <button type="submit" disabled={!name.trim()}>
        {t('accounts.save')}
      </button>
      <button type="button" onClick={onCancel}>
        {t('accounts.cancel')}
      </button>
    </form>
  );
}
