import { ApiError } from './api';
import { errorText, type Language } from './i18n';

/** What every part of the Sites page is given. */
export interface SitesPageProps {
  lang: Language;
  /** Only admins change the directory; everyone else sees it without a write control. */
  canWrite: boolean;
  onSignedOut: () => void;
}

/** Turns a refusal into what a part of the page shows; a lost session goes back to sign-in. */
export function failureHandler(lang: Language, onSignedOut: () => void, show: (text: string) => void) {
  return (err: unknown) => {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) onSignedOut();
    else show(errorText(lang, err));
  };
}
