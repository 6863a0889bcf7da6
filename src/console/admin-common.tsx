import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { errorText, translate, type Language, type MessageKey } from './i18n';

/** What every part of the admin page is given. */
export interface AdminProps {
  lang: Language;
  onSignedOut: () => void;
}

/** Translation bound to a language, as each admin part uses it. */
export function translator(lang: Language) {
  return (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
}

/**
 * A refusal turned into what the page shows: a 401 signs the console out, anything else becomes a
 * sentence (the server's own detail, e.g. why the last admin cannot be disabled).
 */
export function useFailure(lang: Language, onSignedOut: () => void) {
  const [error, setError] = useState<string | null>(null);
  const fail = (err: unknown) => {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) onSignedOut();
    else setError(errorText(lang, err));
  };
  return { error, setError, fail };
}

/** Loads `load()` once and whenever `deps` change; `reload` fetches again after a change. */
export function useLoaded<T>(load: () => Promise<T>, fail: (err: unknown) => void, deps: unknown[] = []) {
  const [value, setValue] = useState<T | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let stopped = false;
    load().then(
      (v) => {
        if (!stopped) setValue(v);
      },
      (err: unknown) => {
        if (!stopped) fail(err);
      },
    );
    return () => {
      stopped = true;
    };
  }, [generation, ...deps]);
  return { value, reload: () => setGeneration((g) => g + 1) };
}

/** The three roles, for a role <select>. */
export function RoleOptions({ lang }: { lang: Language }) {
  return (
    <>
      {(['viewer', 'operator', 'admin'] as const).map((r) => (
        <option key={r} value={r}>
          {translate(lang, `role.${r}`)}
        </option>
      ))}
    </>
  );
}

/** The error of an admin part, announced. */
export function Alert({ text }: { text: string | null }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

/** A button in a table row: it shows `label`, and tells a screen reader which row it acts on. */
export function RowButton({ label, subject, danger, onClick }: { label: string; subject: string; danger?: boolean; onClick: () => void }) {
  return (
    <button type="button" class={danger ? 'danger' : undefined} aria-label={`${label}: ${subject}`} onClick={onClick}>
      {label}
    </button>
  );
}
