import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Session } from './api';
import { translate, type Language } from './i18n';
import { SignIn } from './sign-in';
import { Today } from './today';

const LANG_KEY = 'diemcau.console.lang';

/** Signed out → the sign-in form; signed in → the console. The session lives in an HttpOnly cookie. */
function App() {
  const [lang, setLang] = useState<Language>(localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi');
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, 'app.title');
    localStorage.setItem(LANG_KEY, lang);
  }, [lang]);
  useEffect(() => {
    api.session().then(setSession, () => setSession(null));
  }, []);

  const switchLanguage = (
    <button type="button" class="lang" lang={lang === 'vi' ? 'en' : 'vi'} onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}>
      {translate(lang, 'lang.switch')}
    </button>
  );
  if (session === undefined) return <p aria-busy="true">{translate(lang, 'loading')}</p>;
  if (!session)
    return (
      <>
        <header class="bar">
          <span class="brand">Điểm Cầu</span>
          {switchLanguage}
        </header>
        <SignIn lang={lang} onSignedIn={setSession} />
      </>
    );
  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    setSession(null);
  };
  return (
    <>
      <header class="bar">
        <span class="brand">Điểm Cầu</span>
        <nav aria-label={translate(lang, 'app.title')}>
          <a href="#today" aria-current="page">
            {translate(lang, 'nav.today')}
          </a>
        </nav>
        <span class="who">
          {session.operator.name} ({session.operator.role})
        </span>
        {switchLanguage}
        <button type="button" onClick={signOut}>
          {translate(lang, 'signout')}
        </button>
      </header>
      <main>
        <Today lang={lang} onSignedOut={() => setSession(null)} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
