import type { JoinDocument } from '../api/join/contract';
import { documentEvents, documentsUrl, fetchDocuments } from './api';
import { translate, type Language } from './i18n';
import { byId } from './view';

/**
 * The meeting's documents on the join page: listed once a pass is held (a guest's ticket, a site's
 * sign-in), then kept current by the meeting's event stream, so an upload during the meeting
 * appears for everyone already on the page. Each is a plain download link.
 */
export class DocumentsPanel {
  readonly #section = byId('documents', HTMLElement);
  readonly #list = byId('documents-list', HTMLUListElement);
  readonly #empty = byId('documents-empty', HTMLParagraphElement);
  readonly #news = byId('documents-news', HTMLParagraphElement);
  #documents: JoinDocument[] = [];
  #source: EventSource | null = null;
  #room: string | null = null;
  #pass: string | null = null;
  #lang: Language;

  readonly #others: Record<string, (data: string) => void>;

  /** `others`: the page's other listeners on the meeting's event stream, by event type (the presentation's). */
  constructor(lang: Language, others: Record<string, (data: string) => void> = {}) {
    this.#lang = lang;
    this.#others = others;
  }

  /** The room whose documents are shown, if any. */
  get room(): string | null {
    return this.#room;
  }

  /** Shows the documents of the meeting `pass` opens; a second call for the same room changes nothing. */
  async open(room: string, pass: string): Promise<void> {
    if (this.#room === room && this.#source) return;
    this.close();
    this.#room = room;
    this.#pass = pass;
    // Subscribed before the list is read, so nothing uploaded in between is missed.
    const source = documentEvents(room, pass);
    this.#source = source;
    source.addEventListener('document.added', (e) => this.#added(JSON.parse((e as MessageEvent<string>).data).document as JoinDocument));
    source.addEventListener('document.removed', (e) => this.#removed(JSON.parse((e as MessageEvent<string>).data).documentId as string));
    for (const [type, listener] of Object.entries(this.#others)) source.addEventListener(type, (e) => listener((e as MessageEvent<string>).data));
    try {
      const listed = await fetchDocuments(room, pass);
      const known = new Set(this.#documents.map((d) => d.id));
      this.#documents = [...listed.filter((d) => !known.has(d.id)), ...this.#documents];
    } catch {
      // No list (the pass expired, the server is away): the stream still brings what is added.
    }
    this.render(this.#lang);
  }

  close(): void {
    this.#source?.close();
    this.#source = null;
    this.#room = null;
    this.#pass = null;
    this.#documents = [];
    this.render(this.#lang);
  }

  render(lang: Language): void {
    this.#lang = lang;
    const room = this.#room;
    const pass = this.#pass;
    this.#section.hidden = room === null;
    this.#empty.hidden = this.#documents.length > 0;
    this.#list.replaceChildren(
      ...this.#documents.map((d) => {
        const item = document.createElement('li');
        const link = document.createElement('a');
        link.href = room && pass ? documentsUrl(room, pass, d.id) : '#';
        link.download = d.name;
        link.textContent = d.name;
        const size = document.createElement('span');
        size.className = 'size';
        size.textContent = translate(lang, 'documents.size', { kb: Math.max(1, Math.round(d.size / 1024)).toLocaleString(lang) });
        item.append(link, ' ', size);
        return item;
      }),
    );
  }

  #added(doc: JoinDocument): void {
    if (this.#documents.some((d) => d.id === doc.id)) return;
    this.#documents = [...this.#documents, doc];
    this.#news.textContent = translate(this.#lang, 'documents.added', { name: doc.name });
    this.render(this.#lang);
  }

  #removed(id: string): void {
    this.#documents = this.#documents.filter((d) => d.id !== id);
    this.render(this.#lang);
  }
}
