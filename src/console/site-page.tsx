import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { errorText, translate, type Language } from './i18n';
import { errorsByField } from './site-view';

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

/** Under a list's controls: what was just done (read out politely), a refusal (read out at once), or that it is loading. */
export function ListStatus({ notice, error, loading }: { notice: string | null; error: string | null; loading: string | false }) {
  return (
    <>
      <p aria-live="polite" class="notice">
        {notice}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {loading && !error && <p aria-busy="true">{loading}</p>}
    </>
  );
}

/** Turns a form's refusal into errors by field (those of no field under ""); a lost session goes back to sign-in. */
export function formFailure(lang: Language, onSignedOut: () => void, fields: readonly string[], show: (errors: Record<string, string[]>) => void) {
  return (err: unknown) => {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) onSignedOut();
    else show(err.errors.length ? errorsByField(err.errors, fields) : { '': [errorText(lang, err)] });
  };
}

/** `value` once it has stopped changing for a moment: a search is sent when the typing pauses. */
export function useDebounced<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

/** A button acting on one row; a screen reader hears which ("Edit Xã Ia Pal"). */
export function RowAction({ label, name, onClick, danger }: { label: string; name: string; onClick: () => void; danger?: boolean }) {
  return (
    <button type="button" class={danger ? 'danger' : undefined} onClick={onClick}>
      {label}
      <span class="visually-hidden"> {name}</span>
    </button>
  );
}

/** What an editor of one thing (a site, a group) is given: the thing, or null to add one. */
export interface EditorProps<T> {
  lang: Language;
  value: T | null;
  onSaved: (saved: T) => void;
  onCancel: () => void;
  onSignedOut: () => void;
}

/**
 * A list that opens an editor in its place: what is being edited ('new' to add), the last thing
 * done, the last refusal, and a counter that makes the list read again after a change.
 */
export function useListEditing<T>(lang: Language, onSignedOut: () => void) {
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  return {
    editing,
    setEditing,
    notice,
    error,
    setError,
    reload,
    fail: failureHandler(lang, onSignedOut, setError),
    /** Closes the editor, says what was done, and reads the list again. */
    done(message: string) {
      setEditing(null);
      setNotice(message);
      setReload(reload + 1);
    },
  };
}

/** An editor's last row: save (held while a save is on its way), or go back to the list. */
export function FormActions({ lang, busy, onCancel }: { lang: Language; busy: boolean; onCancel: () => void }) {
  return (
    <div class="form-actions">
      <button type="submit" class="primary" disabled={busy}>
        {translate(lang, 'form.save')}
      </button>
      <button type="button" onClick={onCancel}>
        {translate(lang, 'form.cancel')}
      </button>
    </div>
  );
}
