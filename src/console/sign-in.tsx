import { useState } from 'preact/hooks';
import { ApiError, api, type Session } from './api';
import { errorText, translate, type Language } from './i18n';

/** The sign-in form; a failure says why without telling an unknown user from a wrong password. */
export function SignIn({ lang, onSignedIn }: { lang: Language; onSignedIn: (s: Session) => void }) {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate(lang, key, params);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.signIn(username.trim(), password));
    } catch (err) {
      setPassword('');
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 429) setError(t('signin.throttled', { seconds: err.retryAfterSeconds ?? 60 }));
      else if (err.status === 401 || err.status === 403) setError(t('signin.failed'));
      else setError(errorText(lang, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-heading" noValidate>
        <h1 id="signin-heading">{t('signin.heading')}</h1>
        <label for="username">{t('signin.username')}</label>
        <input id="username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">{t('signin.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !username || !password}>
          {t('signin.submit')}
        </button>
      </form>
    </main>
  );
}
