import { pickLanguage } from './i18n';
import { JoinPage } from './page';

/** Entry point of the join page bundle: reads the URL and the stored language, starts the page. */

function storedLanguage(): string | null {
  try {
    return localStorage.getItem('diemcau.lang');
  } catch {
    return null;
  }
}

function roomFromLocation(): string | null {
  const fromPath = /^\/join\/(\d{1,12})\/?$/.exec(location.pathname)?.[1];
  return fromPath ?? new URLSearchParams(location.search).get('room');
}

const page = new JoinPage(pickLanguage(location.search, storedLanguage(), navigator.language));
window.__diemcau = page.hook;
page.start(roomFromLocation());
