import { useState } from 'preact/hooks';
import { foldForSearch } from '../directory/search-text';
import type { SiteRef } from './api';
import { translate, type Language } from './i18n';

/** How many of the chosen sites the picker names under its count; the rest are counted. */
const NAMED = 8;

/**
 * Ticks sites out of a few hundred: a search box (name or code, with or without diacritics) narrows
 * the list so a keyboard reaches a site in a few Tabs, and the chosen ones are counted and named
 * whatever the search shows.
 */
export function SitePicker({
  sites,
  chosen,
  onChange,
  lang,
  errorId,
}: {
  sites: readonly SiteRef[];
  chosen: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  lang: Language;
  /** The id of the field error under the picker, when there is one. */
  errorId: string | undefined;
}) {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate(lang, key, params);
  const [query, setQuery] = useState('');
  const folded = foldForSearch(query);
  const shown = folded ? sites.filter((s) => foldForSearch(`${s.name} ${s.code}`).includes(folded)) : sites;
  const names = sites.filter((s) => chosen.has(s.id)).map((s) => s.name);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    onChange(next);
  };
  return (
    <fieldset class="site-picker" aria-describedby={['sites-chosen', errorId].filter(Boolean).join(' ')}>
      <legend>{t('booking.sites')}</legend>
      <label for="m-site-search">{t('booking.siteSearch')}</label>
      <input
        id="m-site-search"
        type="search"
        autocomplete="off"
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
        // Enter in the search box searches; it does not book the meeting.
        onKeyDown={(e) => e.key === 'Enter' && e.preventDefault()}
      />
      <p id="sites-chosen" class="hint" aria-live="polite">
        {t('booking.sitesChosen', { count: chosen.size, shown: shown.length })}
        {names.length > 0 && `: ${names.slice(0, NAMED).join(', ')}${names.length > NAMED ? ` ${t('booking.andMore', { count: names.length - NAMED })}` : ''}`}
      </p>
      <div class="picker-actions">
        <button type="button" onClick={() => onChange(new Set([...chosen, ...shown.map((s) => s.id)]))} disabled={!shown.length}>
          {t('booking.chooseShown', { count: shown.length })}
        </button>
        <button type="button" onClick={() => onChange(new Set())} disabled={!chosen.size}>
          {t('booking.chooseNone')}
        </button>
      </div>
      <ul class="picker-list">
        {shown.map((s) => (
          <li key={s.id}>
            <label>
              <input type="checkbox" checked={chosen.has(s.id)} onChange={(e) => toggle(s.id, e.currentTarget.checked)} /> {s.name}{' '}
              <span class="code">{s.code}</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
