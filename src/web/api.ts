import type { DocumentPass, JoinDocument, JoinInfo, JoinRefusal, JoinTicket, JoinTokenRequest, SitePassRequest } from '../api/join/contract';

/** The page's side of the public join API: typed answers, and refusals with their `reason`. */

export class JoinApiError extends Error {
  constructor(
    readonly status: number,
    /** `null` when the server gave no reason the page knows (or did not answer at all). */
    readonly reason: JoinRefusal | null,
    detail: string,
    readonly opensAt: string | null = null,
    /** Seconds, from Retry-After on 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(detail);
    this.name = 'JoinApiError';
  }
}

const BASE = '/api/v1/join';

export function fetchJoinInfo(room: string): Promise<JoinInfo> {
  return call<JoinInfo>(`${BASE}/${encodeURIComponent(room)}`, { method: 'GET' });
}

export function requestJoinTicket(room: string, request: JoinTokenRequest): Promise<JoinTicket> {
  return call<JoinTicket>(`${BASE}/${encodeURIComponent(room)}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
}

/** An invited site's pass to its meeting's documents, for the SIP credentials it signs in with. */
export function requestSitePass(room: string, request: SitePassRequest): Promise<DocumentPass> {
  return call<DocumentPass>(`${BASE}/${encodeURIComponent(room)}/site-pass`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
}

export async function fetchDocuments(room: string, pass: string): Promise<JoinDocument[]> {
  return (await call<{ items: JoinDocument[] }>(documentsUrl(room, pass), { method: 'GET' })).items;
}

export function documentsUrl(room: string, pass: string, documentId?: string): string {
  return `${BASE}/${encodeURIComponent(room)}/documents${documentId ? `/${encodeURIComponent(documentId)}` : ''}?pass=${encodeURIComponent(pass)}`;
}

/** The meeting's events for the pass holder: documents added and removed, presentations started and stopped. */
export function documentEvents(room: string, pass: string): EventSource {
  return new EventSource(`${BASE}/${encodeURIComponent(room)}/events?pass=${encodeURIComponent(pass)}`);
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers }, cache: 'no-store' });
  } catch (err) {
    throw new JoinApiError(0, null, err instanceof Error ? err.message : String(err));
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) return body as T;
  const problem = (body && typeof body === 'object' ? body : {}) as { reason?: unknown; detail?: unknown; opensAt?: unknown };
  const retry = Number(res.headers.get('retry-after'));
  throw new JoinApiError(
    res.status,
    typeof problem.reason === 'string' ? (problem.reason as JoinRefusal) : null,
    typeof problem.detail === 'string' ? problem.detail : res.statusText,
    typeof problem.opensAt === 'string' ? problem.opensAt : null,
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}
