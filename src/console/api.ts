/**
 * The console's only way to the server: the same public REST API scripts use, with the session
 * cookie (sent by the browser, never readable here) and the CSRF token the sign-in returned on
 * every request that changes something.
 */

import type { RosterEntry as Participant, Presenting } from './live-state';
import type { FieldError, Site, SiteInput, SiteState } from './site-view';

export type { FieldError, Site, SiteInput, SiteState };

export type Role = 'admin' | 'operator' | 'viewer';

export interface Operator {
  id: string;
  username: string;
  name: string;
  role: Role;
}

export interface Session {
  operator: Operator;
  csrfToken: string;
  expiresAt: string;
  /** The district's IANA zone (TIME_ZONE): meeting times are shown and entered in it. */
  timeZone: string;
}

export interface SiteRef {
  id: string;
  code: string;
  name: string;
}

export interface Meeting {
  id: string;
  title: string;
  roomNumber: number;
  sipUri: string;
  /** Operators and admins only. */
  pin?: string | null;
  hasPin: boolean;
  startsAt: string;
  endsAt: string;
  status: 'scheduled' | 'live' | 'ended' | 'cancelled';
  dialOut: boolean;
  allowGuests: boolean;
  mode: 'discussion' | 'lecture';
  language: 'vi' | 'en';
  /** While someone presents, a second presenter takes the floor (take-over) or waits (queue). */
  contentPolicy: 'take-over' | 'queue';
  chairSite: SiteRef | null;
  invitedSites: SiteRef[];
  invitedGroups: SiteRef[];
}

/** What a booking sends (`MeetingCreate`); a change sends the fields that changed. */
export interface MeetingInput {
  title: string;
  /** Omitted: the server allocates a free one. */
  roomNumber?: number;
  pin: string | null;
  startsAt: string;
  endsAt: string;
  invitedSites: string[];
  invitedGroups: string[];
  chairSite: string | null;
  dialOut: boolean;
  allowGuests: boolean;
  mode: Meeting['mode'];
  language: Meeting['language'];
  contentPolicy: Meeting['contentPolicy'];
}

/** `GET /meetings/{id}/invitation`: what an operator sends to the communes. */
export interface Invitation {
  text: { vi: string; en: string };
  joinUrl: string | null;
  sipUri: string;
  dialString: string;
  h323Dial: string | null;
}

export type ConflictingMeeting = Pick<Meeting, 'id' | 'title' | 'roomNumber' | 'startsAt' | 'endsAt'>;

/** The members of a problem the console reads: 422 field errors, and a refused booking's `MeetingConflict`. */
export interface Problem {
  errors?: { field: string; message: string }[];
  conflictingMeeting?: ConflictingMeeting | null;
  conflicts?: { site: SiteRef; meeting: ConflictingMeeting }[];
}

export interface AttendanceRow {
  attended: boolean;
  firstJoinedAt: string | null;
  lastLeftAt: string | null;
  connectedMinutes: number;
  reconnects: number;
}

/** `GET /meetings/{id}/attendance`, as far as the console shows it. */
export interface Attendance {
  meeting: { id: string; title: string; roomNumber: number; startsAt: string; endsAt: string; status: string };
  sites: (AttendanceRow & {
    site: SiteRef;
    invited: boolean;
    dialAttempts: { attempt: number; target: string; startedAt: string; outcome: string | null; sipStatus: number | null }[];
  })[];
  guests: (AttendanceRow & { name: string })[];
  /** Who presented content, in the order they began. */
  presentations: {
    name: string;
    siteId: string | null;
    protocol: string;
    startedAt: string;
    endedAt: string | null;
    durationMs: number;
    endReason: 'released' | 'revoked' | 'taken-over' | 'left' | 'ended' | null;
  }[];
  summary: { invited: number; attended: number; absent: number };
}

export type OverviewProblem =
  | { kind: 'dependency-down'; dependency: string; state: string }
  | { kind: 'sites-missing'; meeting: { id: string; title: string; roomNumber: number; startsAt: string }; sites: SiteRef[] }
  | { kind: 'dial-failures'; site: SiteRef; attempts: number; lastOutcome: string; lastSipStatus: number | null; meetingId: string };

/** `GET /overview`: what the Today page shows. */
export interface Overview {
  meetings: (Pick<Meeting, 'id' | 'title' | 'roomNumber' | 'startsAt' | 'endsAt' | 'status'> & {
    invited: number;
    joined: number;
    participants: number;
    unreachable: number;
  })[];
  sites: { total: number; enabled: number; disabled: number; registered: number; inCall: number; unreachable: number };
  problems: OverviewProblem[];
}

export interface Roster {
  items: Participant[];
  locked: boolean;
  layouts: string[];
  layout: string | null;
}

/** An API key as the admin page lists it (its secret is never shown again after issuing). */
export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** An operator account as `GET /operators` shows it. */
export interface Account extends Operator {
  enabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  operatorId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  detail: Record<string, unknown>;
}

/** What the audit log may be narrowed to. */
export interface AuditFilter {
  operatorId?: string;
  siteId?: string;
  meetingId?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface SiteGroupSummary extends SiteRef {
  description: string | null;
  siteCount: number;
}

export interface SiteGroup extends SiteRef {
  description: string | null;
  sites: (SiteRef & { enabled: boolean })[];
}

/** A file attached to a meeting (`MeetingDocument`). */
export interface MeetingDocument {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  uploadedAt: string;
}

export interface Recording {
  id: string;
  format: 'mp4' | 'wav';
  startedAt: string;
  /** null while it is being recorded. */
  endedAt: string | null;
  sizeBytes: number | null;
  href: string;
}

export interface ImportReport {
  created: number;
  updated: number;
  dryRun: boolean;
}

/** An RFC 7807 problem the server answered with; `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly retryAfterSeconds: number | null = null,
    readonly errors: readonly FieldError[] = [],
    /** The problem as sent, for what a page reads beyond the fields (a booking's conflicts). */
    readonly problem: Problem = {},
  ) {
    super(detail || title);
    this.name = 'ApiError';
  }
}

const BASE = '/api/v1';
let csrfToken: string | null = null;

/** A JSON body, a CsvBody sent as text/csv, or FormData (the browser sets its multipart boundary). */
async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const csv = body instanceof CsvBody ? body.text : undefined;
  const form = body instanceof FormData ? body : undefined;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined && !form) headers['Content-Type'] = csv === undefined ? 'application/json' : 'text/csv';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined && { body: form ?? csv ?? JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'Network error', '');
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const problem = (data ?? {}) as Problem & { title?: string; detail?: string; field?: string };
    const retry = Number(res.headers.get('Retry-After'));
    // A conflict about one field (a duplicate code) names it beside the detail.
    const errors = problem.errors ?? (problem.field ? [{ field: problem.field, message: problem.detail ?? '' }] : []);
    throw new ApiError(res.status, problem.title ?? res.statusText, problem.detail ?? '', Number.isFinite(retry) && retry > 0 ? retry : null, errors, problem);
  }
  return data as T;
}

class CsvBody {
  constructor(readonly text: string) {}
}

const query = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).flatMap(([k, v]) => (v === undefined || v === '' ? [] : [[k, String(v)]]))).toString();

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

export const api = {
  /** The session this browser holds, or null when it is signed out. */
  async session(): Promise<Session | null> {
    try {
      return remember(await request<Session>('GET', '/session'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
  async signIn(username: string, password: string): Promise<Session> {
    return remember(await request<Session>('POST', '/session', { username, password }));
  },
  async signOut(): Promise<void> {
    await request<void>('DELETE', '/session');
    csrfToken = null;
  },
  /** Your own password; the server ends your other sessions. */
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return request<void>('POST', '/session/password', { currentPassword, newPassword });
  },
  /** What only admins may do: keys, accounts, the audit log. */
  admin: {
    keys: () => request<{ items: ApiKey[] }>('GET', '/api-keys'),
    issueKey: (name: string, role: Role) => request<ApiKey & { token: string }>('POST', '/api-keys', { name, role }),
    revokeKey: (id: string) => request<void>('DELETE', `/api-keys/${encodeURIComponent(id)}`),
    accounts: () => request<{ items: Account[] }>('GET', '/operators'),
    createAccount: (account: { username: string; name: string; role: Role; password: string }) => request<Account>('POST', '/operators', account),
    updateAccount: (id: string, change: { name?: string; role?: Role; enabled?: boolean; password?: string }) =>
      request<Account>('PATCH', `/operators/${encodeURIComponent(id)}`, change),
    deleteAccount: (id: string) => request<void>('DELETE', `/operators/${encodeURIComponent(id)}`),
    audit: (filter: AuditFilter, offset: number, limit: number) => {
      const q = new URLSearchParams({ ...filter, offset: String(offset), limit: String(limit) });
      return request<Page<AuditEvent>>('GET', `/audit-events?${q}`);
    },
    sites: () => request<Page<SiteRef>>('GET', '/sites?limit=500'),
  },
  meeting(id: string): Promise<Meeting> {
    return request<Meeting>('GET', `/meetings/${encodeURIComponent(id)}`);
  },
  /** The roster, whether the room is locked, and its video layouts (`layout` null: the default). */
  participants(id: string): Promise<Roster> {
    return request<Roster>('GET', `/meetings/${encodeURIComponent(id)}/participants`);
  },
  /** Live control (operators): every call answers 204 or a problem. */
  live(id: string) {
    const base = `/meetings/${encodeURIComponent(id)}`;
    const participant = (pid: string) => `${base}/participants/${encodeURIComponent(pid)}`;
    return {
      mute: (pid: string, muted: boolean) => request<void>('POST', `${participant(pid)}/mute`, { muted }),
      muteAll: (muted: boolean) => request<void>('POST', `${base}/mute-all`, { muted }),
      kick: (pid: string) => request<void>('DELETE', participant(pid)),
      floor: (pid: string) => request<void>('POST', `${participant(pid)}/floor`),
      lock: (locked: boolean) => request<void>('POST', `${base}/lock`, { locked }),
      layout: (layout: string) => request<void>('PUT', `${base}/layout`, { layout }),
      dialSite: (site: string) => request<unknown>('POST', `${base}/dial`, { site }),
      dialUri: (uri: string) => request<unknown>('POST', `${base}/dial`, { uri }),
      extend: (minutes: number) => request<{ endsAt: string }>('POST', `${base}/extend`, { minutes }),
      end: () => request<void>('POST', `${base}/end`),
      /** Who presents content now (null: nobody). */
      content: () => request<{ presenter: (Presenting & { since: string }) | null; policy: Meeting['contentPolicy'] }>('GET', `${base}/content`),
      /** Takes the content floor away (409 when nobody presents). */
      stopContent: () => request<{ stopped: Presenting }>('POST', `${base}/content/stop`),
      /** The meeting's event stream; the browser reconnects by itself (the cookie goes with it). */
      events: () => new EventSource(`${BASE}${base}/events`, { withCredentials: true }),
    };
  },
  attendance(id: string): Promise<Attendance> {
    return request<Attendance>('GET', `/meetings/${encodeURIComponent(id)}/attendance`);
  },
  /** Where the browser downloads the attendance as a spreadsheet (the cookie signs the request). */
  attendanceCsvUrl(id: string): string {
    return `${BASE}/meetings/${encodeURIComponent(id)}/attendance?format=csv`;
  },
  overview(hours: number): Promise<Overview> {
    return request<Overview>('GET', `/overview?hours=${hours}`);
  },
  sites(params: { q?: string; group?: string; limit: number; offset: number }): Promise<Page<Site>> {
    return request<Page<Site>>('GET', `/sites?${query(params)}`);
  },
  createSite(input: SiteInput): Promise<Site> {
    return request<Site>('POST', '/sites', input);
  },
  updateSite(id: string, input: Partial<SiteInput>): Promise<Site> {
    return request<Site>('PATCH', `/sites/${encodeURIComponent(id)}`, input);
  },
  deleteSite(id: string): Promise<void> {
    return request<void>('DELETE', `/sites/${encodeURIComponent(id)}`);
  },
  /** The live state of every site of a group (all sites when ''), in one request. */
  siteStates(group: string): Promise<{ items: SiteState[] }> {
    return request<{ items: SiteState[] }>('GET', `/site-states?${query({ group })}`);
  },
  /** All or nothing; a 422 names every bad line ("line 3.sipUri"). */
  importSites(csv: string, dryRun: boolean): Promise<ImportReport> {
    return request<ImportReport>('POST', `/sites/import?dryRun=${dryRun}`, new CsvBody(csv));
  },
  siteGroups(): Promise<Page<SiteGroupSummary>> {
    return request<Page<SiteGroupSummary>>('GET', '/site-groups?limit=500');
  },
  siteGroup(id: string): Promise<SiteGroup> {
    return request<SiteGroup>('GET', `/site-groups/${encodeURIComponent(id)}`);
  },
  createSiteGroup(input: { code: string; name: string; description: string | null; sites: string[] }): Promise<SiteGroup> {
    return request<SiteGroup>('POST', '/site-groups', input);
  },
  updateSiteGroup(id: string, input: { code?: string; name?: string; description?: string | null; sites?: string[] }): Promise<SiteGroup> {
    return request<SiteGroup>('PATCH', `/site-groups/${encodeURIComponent(id)}`, input);
  },
  deleteSiteGroup(id: string): Promise<void> {
    return request<void>('DELETE', `/site-groups/${encodeURIComponent(id)}`);
  },
  /** Meetings that end after `from` (and start before `to`, when given), in order of their start. */
  meetings(from: Date, to?: Date): Promise<Page<Meeting>> {
    const q = new URLSearchParams({ from: from.toISOString(), ...(to && { to: to.toISOString() }), limit: '100' });
    return request<Page<Meeting>>('GET', `/meetings?${q}`);
  },
  book(input: MeetingInput): Promise<Meeting> {
    return request<Meeting>('POST', '/meetings', input);
  },
  changeMeeting(id: string, change: Partial<MeetingInput>): Promise<Meeting> {
    return request<Meeting>('PATCH', `/meetings/${encodeURIComponent(id)}`, change);
  },
  cancelMeeting(id: string): Promise<void> {
    return request<void>('DELETE', `/meetings/${encodeURIComponent(id)}`);
  },
  invitation(id: string): Promise<Invitation> {
    return request<Invitation>('GET', `/meetings/${encodeURIComponent(id)}/invitation`);
  },
  documents(id: string): Promise<{ items: MeetingDocument[] }> {
    return request<{ items: MeetingDocument[] }>('GET', `/meetings/${encodeURIComponent(id)}/documents`);
  },
  uploadDocument(id: string, file: File): Promise<MeetingDocument> {
    const form = new FormData();
    form.append('file', file);
    return request<MeetingDocument>('POST', `/meetings/${encodeURIComponent(id)}/documents`, form);
  },
  /** Where the browser downloads a document (the cookie signs the request). */
  documentUrl(id: string, documentId: string): string {
    return `${BASE}/meetings/${encodeURIComponent(id)}/documents/${encodeURIComponent(documentId)}`;
  },
  deleteDocument(id: string, documentId: string): Promise<void> {
    return request<void>('DELETE', `/meetings/${encodeURIComponent(id)}/documents/${encodeURIComponent(documentId)}`);
  },
  recordings(id: string): Promise<{ items: Recording[]; recording: boolean }> {
    return request<{ items: Recording[]; recording: boolean }>('GET', `/meetings/${encodeURIComponent(id)}/recordings`);
  },
  /** Start or stop recording a live meeting. */
  record(id: string, on: boolean): Promise<unknown> {
    return request<unknown>('POST', `/meetings/${encodeURIComponent(id)}/recording/${on ? 'start' : 'stop'}`);
  },
  /** Where the browser downloads a recording. */
  recordingUrl(id: string): string {
    return `${BASE}/recordings/${encodeURIComponent(id)}/file`;
  },
  deleteRecording(id: string): Promise<void> {
    return request<void>('DELETE', `/recordings/${encodeURIComponent(id)}`);
  },
  /** Where the browser downloads the meeting as an iCalendar file. */
  calendarUrl(id: string): string {
    return `${BASE}/meetings/${encodeURIComponent(id)}/calendar.ics`;
  },
  /** Every enabled site, for pickers: page after page of the largest page the API gives. */
  async enabledSites(): Promise<SiteRef[]> {
    const all: SiteRef[] = [];
    for (;;) {
      const page = await request<Page<SiteRef>>('GET', `/sites?enabled=true&limit=500&offset=${all.length}`);
      all.push(...page.items.map(({ id, code, name }) => ({ id, code, name })));
      if (!page.items.length || all.length >= page.total) return all;
    }
  },
};
