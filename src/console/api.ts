/**
 * The console's only way to the server: the same public REST API scripts use, with the session
 * cookie (sent by the browser, never readable here) and the CSRF token the sign-in returned on
 * every request that changes something.
 */

import type { RosterEntry as Participant } from './live-state';

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
}

/** `GET /meetings/{id}/invitation`: what an operator sends to the communes. */
export interface Invitation {
  text: { vi: string; en: string };
  joinUrl: string | null;
  sipUri: string;
  dialString: string;
  h323Dial: string | null;
}

export interface SiteGroup extends SiteRef {
  siteCount: number;
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

export interface Page<T> {
  items: T[];
  total: number;
}

/** An RFC 7807 problem the server answered with; `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly retryAfterSeconds: number | null = null,
    readonly problem: Problem = {},
  ) {
    super(detail || title);
    this.name = 'ApiError';
  }
}

const BASE = '/api/v1';
let csrfToken: string | null = null;

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'Network error', '');
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const problem = (data ?? {}) as Problem & { title?: string; detail?: string };
    const retry = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, problem.title ?? res.statusText, problem.detail ?? '', Number.isFinite(retry) && retry > 0 ? retry : null, problem);
  }
  return data as T;
}

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
  meeting(id: string): Promise<Meeting> {
    return request<Meeting>('GET', `/meetings/${encodeURIComponent(id)}`);
  },
  /** The roster and whether the room is locked. */
  participants(id: string): Promise<{ items: Participant[]; locked: boolean }> {
    return request<{ items: Participant[]; locked: boolean }>('GET', `/meetings/${encodeURIComponent(id)}/participants`);
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
  async siteGroups(): Promise<SiteGroup[]> {
    return (await request<Page<SiteGroup>>('GET', '/site-groups?limit=500')).items;
  },
};
