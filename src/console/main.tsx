import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Account } from './account';
import { Admin } from './admin';
import { api, type Session } from './api';
import { translate, type Language, type MessageKey } from './i18n';
import { Attendance } from './attendance';
import { Live } from './live';
import { MeetingDetail } from './meeting-detail';
import { MeetingForm } from './meeting-form';
import { Meetings } from './meetings';
import { href, section, useRoute, type Route, type TopPage } from './router';
import { SignIn } from './sign-in';
import { Sites } from './sites';
import { Today } from './today';

const LANG_KEY = 'diemcau.console.lang';

/** Signed out → the sign-in form; signed in → the console. The session lives in an HttpOnly cookie. */
function App() {
  const [lang, setLang] = useState<Language>(localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi');
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const route = useRoute();

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
          {NAV.filter(([page]) => page !== 'admin' || session.operator.role === 'admin').map(([page, key]) => (
            <a key={page} href={href({ page })} aria-current={section(route) === page ? (route.page === page ? 'page' : 'true') : undefined}>
              {translate(lang, key)}
            </a>
          ))}
        </nav>
        <a class="who" href={href({ page: 'account' })} aria-current={route.page === 'account' ? 'page' : undefined}>
          {session.operator.name} ({translate(lang, `role.${session.operator.role}`)})<span class="visually-hidden"> — {translate(lang, 'account.open')}</span>
        </a>
        {switchLanguage}
        <button type="button" onClick={signOut}>
          {translate(lang, 'signout')}
        </button>
      </header>
      <main>
        <Page route={route} lang={lang} session={session} onSignedOut={() => setSession(null)} />
      </main>
    </>
  );
}

/** The pages of the navigation bar, in its order (pages that need a meeting are reached from others); Admin is shown to admins only. */
const NAV: readonly (readonly [TopPage, MessageKey])[] = [
  ['today', 'nav.today'],
  ['meetings', 'nav.meetings'],
  ['sites', 'nav.sites'],
  ['admin', 'nav.admin'],
];

/** The page a route shows. */
function Page({ route, lang, session, onSignedOut }: { route: Route; lang: Language; session: Session; onSignedOut: () => void }) {
  switch (route.page) {
    case 'meetings':
      return <Meetings view={route.view ?? 'week'} lang={lang} session={session} onSignedOut={onSignedOut} />;
    case 'meeting':
      return <MeetingDetail meetingId={route.meetingId} lang={lang} session={session} onSignedOut={onSignedOut} />;
    case 'booking':
      return <MeetingForm meetingId={route.meetingId} lang={lang} session={session} onSignedOut={onSignedOut} />;
    case 'sites':
      return <Sites lang={lang} canWrite={session.operator.role === 'admin'} onSignedOut={onSignedOut} />;
    case 'attendance':
      return <Attendance meetingId={route.meetingId} lang={lang} onSignedOut={onSignedOut} />;
    case 'live':
      return <Live meetingId={route.meetingId} lang={lang} session={session} onSignedOut={onSignedOut} />;
    case 'admin':
      return <Admin tab={route.tab ?? 'keys'} lang={lang} session={session} onSignedOut={onSignedOut} />;
    case 'account':
      return <Account lang={lang} session={session} onSignedOut={onSignedOut} />;
    default:
      return <Today lang={lang} onSignedOut={onSignedOut} />;
  }
}

const root = document.getElementById('app');
if (root) render(<App />, root);
