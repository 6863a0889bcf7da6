import { useState } from 'preact/hooks';
import { ApiError, api, type Meeting, type Session } from './api';
import { errorText, translate, type Language, type MessageKey } from './i18n';
import { canBook } from './meetings';
import { ScrollingTable } from './scrolling-table';
import { useApi } from './use-api';

interface Props {
  meeting: Meeting;
  lang: Language;
  session: Session;
  onSignedOut: () => void;
}

/** Bytes as people read them: 1,2 MB. */
function sizeText(bytes: number, lang: Language): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: u ? 1 : 0 }).format(n)} ${units[u]}`;
}

/** Date and time in the district's zone, as the rest of the meeting page shows them. */
function whenText(iso: string, zone: string, lang: Language): string {
  return new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(iso));
}

/** Runs a write; a refusal becomes the text shown beside the control (a 401 signs out). */
function useWrite(lang: Language, onSignedOut: () => void) {
  const [failure, setFailure] = useState<string | null>(null);
  const run = async (write: () => Promise<unknown>): Promise<boolean> => {
    setFailure(null);
    try {
      await write();
      return true;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) onSignedOut();
      else setFailure(errorText(lang, err));
      return false;
    }
  };
  return { failure, run };
}

/** A delete button that asks first, in place; `what` names the row for screen readers. */
function DeleteButton({ what, lang, onDelete }: { what: string; lang: Language; onDelete: () => void }) {
  const t = (key: MessageKey, params?: Record<string, string>) => translate(lang, key, params);
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" class="danger" aria-label={t('records.deleteNamed', { name: what })} onClick={() => setAsking(true)}>
        {t('records.delete')}
      </button>
    );
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of two buttons asking one question, not a form
    <span class="confirm" role="group" aria-label={t('records.deleteConfirm', { name: what })}>
      {/* biome-ignore lint/a11y/noAutofocus: the question just appeared where the button was; the keyboard answers it there */}
      <button type="button" class="danger" autoFocus onClick={onDelete}>
        {t('records.deleteYes')}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t('records.deleteNo')}
      </button>
    </span>
  );
}

function Failure({ text }: { text: string | null }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

/** The meeting's documents: download for everyone, upload and delete for those who book. */
export function Documents({ meeting: m, lang, session, onSignedOut }: Props) {
  const t = (key: MessageKey) => translate(lang, key);
  const { data, error, reload } = useApi(() => api.documents(m.id), [m.id], lang, onSignedOut);
  const { failure, run } = useWrite(lang, onSignedOut);
  const [file, setFile] = useState<File | null>(null);
  const writable = canBook(session);
  const upload = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    if (!file) return;
    if (await run(() => api.uploadDocument(m.id, file))) {
      setFile(null);
      form.reset();
      reload();
    }
  };
  const remove = async (documentId: string) => {
    if (await run(() => api.deleteDocument(m.id, documentId))) reload();
  };
  return (
    <section aria-labelledby="documents-heading">
      <h3 id="documents-heading">{t('records.documents')}</h3>
      {!data ? (
        <p class={error ? 'error' : undefined}>{error ?? t('records.loading')}</p>
      ) : data.items.length ? (
        <ScrollingTable labelledBy="documents-heading">
          <table class="records">
            <thead>
              <tr>
                <th scope="col">{t('records.name')}</th>
                <th scope="col">{t('records.type')}</th>
                <th scope="col">{t('records.size')}</th>
                <th scope="col">{t('records.uploadedAt')}</th>
                {writable && <th scope="col">{t('records.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {data.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={api.documentUrl(m.id, d.id)} download={d.name}>
                      {d.name}
                    </a>
                  </td>
                  <td>{d.mediaType}</td>
                  <td>{sizeText(d.size, lang)}</td>
                  <td>{whenText(d.uploadedAt, session.timeZone, lang)}</td>
                  {writable && (
                    <td>
                      <DeleteButton what={d.name} lang={lang} onDelete={() => remove(d.id)} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollingTable>
      ) : (
        <p class="empty">{t('records.noDocuments')}</p>
      )}
      {writable && (
        <form class="toolbar" onSubmit={upload}>
          <label for="document-file">{t('records.file')}</label>
          <input id="document-file" type="file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          <button type="submit" disabled={!file}>
            {t('records.upload')}
          </button>
        </form>
      )}
      <Failure text={failure} />
    </section>
  );
}

/** Minutes and seconds between two instants, or nothing while it runs. */
function durationText(startedAt: string, endedAt: string | null): string {
  if (!endedAt) return '';
  const s = Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(startedAt)) / 1000));
  const h = Math.floor(s / 3600);
  const mmss = `${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** The meeting's recordings: download for everyone; delete, and start or stop while live, for those who book. */
export function Recordings({ meeting: m, lang, session, onSignedOut }: Props) {
  const t = (key: MessageKey) => translate(lang, key);
  const { data, error, reload } = useApi(() => api.recordings(m.id), [m.id], lang, onSignedOut);
  const { failure, run } = useWrite(lang, onSignedOut);
  const writable = canBook(session);
  const act = async (write: () => Promise<unknown>) => {
    if (await run(write)) reload();
  };
  return (
    <section aria-labelledby="recordings-heading">
      <h3 id="recordings-heading">{t('records.recordings')}</h3>
      {!data ? (
        <p class={error ? 'error' : undefined}>{error ?? t('records.loading')}</p>
      ) : (
        <>
          {data.recording && <p>{t('records.recordingNow')}</p>}
          {data.items.length ? (
            <ScrollingTable labelledBy="recordings-heading">
              <table class="records">
                <thead>
                  <tr>
                    <th scope="col">{t('records.started')}</th>
                    <th scope="col">{t('records.ended')}</th>
                    <th scope="col">{t('records.duration')}</th>
                    <th scope="col">{t('records.size')}</th>
                    <th scope="col">{t('records.format')}</th>
                    <th scope="col">{t('records.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((r) => {
                    const name = whenText(r.startedAt, session.timeZone, lang);
                    return (
                      <tr key={r.id}>
                        <td>{name}</td>
                        <td>{r.endedAt ? whenText(r.endedAt, session.timeZone, lang) : t('records.running')}</td>
                        <td>{durationText(r.startedAt, r.endedAt)}</td>
                        <td>{r.sizeBytes === null ? '' : sizeText(r.sizeBytes, lang)}</td>
                        <td>{r.format.toUpperCase()}</td>
                        <td class="actions">
                          {r.endedAt && (
                            <a href={api.recordingUrl(r.id)} download aria-label={`${t('records.download')} ${name}`}>
                              {t('records.download')}
                            </a>
                          )}
                          {writable && r.endedAt && <DeleteButton what={name} lang={lang} onDelete={() => act(() => api.deleteRecording(r.id))} />}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </ScrollingTable>
          ) : (
            <p class="empty">{t('records.noRecordings')}</p>
          )}
          {writable && m.status === 'live' && (
            <div class="toolbar">
              {data.recording ? (
                <button type="button" onClick={() => act(() => api.record(m.id, false))}>
                  {t('records.stop')}
                </button>
              ) : (
                <button type="button" onClick={() => act(() => api.record(m.id, true))}>
                  {t('records.start')}
                </button>
              )}
            </div>
          )}
        </>
      )}
      <Failure text={failure} />
    </section>
  );
}
