import { useState } from 'preact/hooks';
import { siteCsvColumns } from '../directory/site-csv-columns';
import { ApiError, api, type ImportReport } from './api';
import { errorText, translate, type MessageKey } from './i18n';
import type { SitesPageProps } from './site-page';
import { importLineErrors, type ImportLineError } from './site-view';
import { ScrollingTable } from './scrolling-table';

type Outcome =
  | { kind: 'errors'; lines: ImportLineError[] }
  | { kind: 'failed'; text: string }
  | { kind: 'preview'; report: ImportReport }
  | { kind: 'done'; report: ImportReport };

/** CSV import: a dry run first, which shows every bad line and writes nothing; then the import itself. */
export function SiteImport({ lang, onSignedOut }: SitesPageProps) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const [csv, setCsv] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);

  const edit = (text: string) => {
    setCsv(text);
    setOutcome(null);
  };
  const send = async (dryRun: boolean) => {
    setBusy(true);
    try {
      const report = await api.importSites(csv, dryRun);
      setOutcome({ kind: dryRun ? 'preview' : 'done', report });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return onSignedOut();
      setOutcome(
        err.status === 422 && err.errors.length ? { kind: 'errors', lines: importLineErrors(err.errors) } : { kind: 'failed', text: errorText(lang, err) },
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="import-heading" class="site-import">
      <h2 id="import-heading">{t('import.heading')}</h2>
      <p>{t('import.help')}</p>
      <details>
        <summary>{t('import.columns')}</summary>
        <dl class="columns">
          {siteCsvColumns.map((c) => (
            <div key={c}>
              <dt>
                <code>{c}</code>
              </dt>
              <dd>{t(`import.col.${c}`)}</dd>
            </div>
          ))}
        </dl>
      </details>
      <div class="field">
        <label for="import-file">{t('import.file')}</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={async (e) => {
            const file = e.currentTarget.files?.[0];
            if (file) edit(await file.text());
          }}
        />
      </div>
      <div class="field">
        <label for="import-text">{t('import.text')}</label>
        <textarea id="import-text" rows={8} spellcheck={false} value={csv} onInput={(e) => edit(e.currentTarget.value)} />
      </div>
      <div class="form-actions">
        <button type="button" class="primary" disabled={busy || !csv.trim()} onClick={() => send(true)}>
          {t('import.check')}
        </button>
        {outcome?.kind === 'preview' && (
          <button type="button" class="primary" disabled={busy} onClick={() => send(false)}>
            {t('import.run')}
          </button>
        )}
      </div>
      <div aria-live="polite">
        {outcome?.kind === 'preview' && <p class="notice">{t('import.preview', { created: outcome.report.created, updated: outcome.report.updated })}</p>}
        {outcome?.kind === 'done' && <p class="notice">{t('import.done', { created: outcome.report.created, updated: outcome.report.updated })}</p>}
      </div>
      {outcome?.kind === 'failed' && (
        <p class="error" role="alert">
          {outcome.text}
        </p>
      )}
      {outcome?.kind === 'errors' && (
        <>
          <p class="error" role="alert">
            {t('import.errors', { count: outcome.lines.length })}
          </p>
          <ScrollingTable label={t('import.message')}>
            <table class="import-errors">
              <caption class="visually-hidden">{t('import.errors', { count: outcome.lines.length })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('import.line')}</th>
                  <th scope="col">{t('import.column')}</th>
                  <th scope="col">{t('import.message')}</th>
                </tr>
              </thead>
              <tbody>
                {outcome.lines.map((l, i) => (
                  <tr key={i}>
                    <th scope="row">{l.line ?? t('import.whole')}</th>
                    <td>{l.column ?? '—'}</td>
                    <td>{l.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollingTable>
        </>
      )}
    </section>
  );
}
