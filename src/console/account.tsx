import { useState } from 'preact/hooks';
import { ApiError, api, type Session } from './api';
import { errorText, translate, type Language, type MessageKey } from './i18n';

/** The signed-in person's own account: who they are, and changing their password. */
export function Account({ lang, session, onSignedOut }: { lang: Language; session: Session; onSignedOut: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'current' | 'next' | 'repeat', string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(false);
    setError(null);
    // Checked here first so a typo costs no password guess on the server.
    const local = {
      ...([...next.normalize('NFC')].length < 10 && { next: t('password.tooShort') }),
      ...(next !== repeat && { repeat: t('password.mismatch') }),
    };
    setFieldErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return onSignedOut();
      const wrong = err.errors.find((f) => f.field === 'currentPassword');
      const weak = err.errors.find((f) => f.field === 'newPassword');
      if (wrong || weak) setFieldErrors({ ...(wrong && { current: t('password.wrongCurrent') }), ...(weak && { next: weak.message }) });
      else if (err.status === 429) setError(t('signin.throttled', { seconds: err.retryAfterSeconds ?? 60 }));
      else setError(errorText(lang, err));
    } finally {
      setBusy(false);
    }
  };

  const field = (id: 'current' | 'next' | 'repeat', label: MessageKey, value: string, set: (v: string) => void, autocomplete: string) => (
    <>
      <label for={`password-${id}`}>{t(label)}</label>
      <input
        id={`password-${id}`}
        type="password"
        autocomplete={autocomplete}
        required
        value={value}
        aria-invalid={fieldErrors[id] ? 'true' : undefined}
        aria-describedby={fieldErrors[id] ? `password-${id}-error` : undefined}
        onInput={(e) => set(e.currentTarget.value)}
      />
      {fieldErrors[id] && (
        <p id={`password-${id}-error`} class="error field-error" role="alert">
          {fieldErrors[id]}
        </p>
      )}
    </>
  );

  return (
    <div class="account">
      <h1>{t('account.heading')}</h1>
      <p>{t('account.who', { username: session.operator.username, role: t(`role.${session.operator.role}`) })}</p>
      <form class="panel stacked" onSubmit={submit} aria-labelledby="password-heading" noValidate>
        <h2 id="password-heading">{t('password.heading')}</h2>
        {field('current', 'password.current', current, setCurrent, 'current-password')}
        {field('next', 'password.new', next, setNext, 'new-password')}
        {field('repeat', 'password.repeat', repeat, setRepeat, 'new-password')}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p role="status">{done ? t('password.changed') : ''}</p>
        <button type="submit" disabled={busy || !current || !next || !repeat}>
          {t('password.submit')}
        </button>
      </form>
    </div>
  );
}
