import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { errorText, type Language } from './i18n';

/**
 * What a page reads from the API when it opens (and again when `deps` change or `reload` is
 * called): the data, or the text of what went wrong; a 401 signs the console out instead.
 */
export function useApi<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  lang: Language,
  onSignedOut: () => void,
): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let stopped = false;
    setData(null);
    setError(null);
    load().then(
      (d) => {
        if (!stopped) setData(d);
      },
      (err: unknown) => {
        if (stopped || !(err instanceof ApiError)) return;
        if (err.status === 401) onSignedOut();
        else setError(errorText(lang, err));
      },
    );
    return () => {
      stopped = true;
    };
  }, [...deps, round]);
  return { data, error, reload: () => setRound((r) => r + 1) };
}
