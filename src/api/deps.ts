import type { DataSource } from 'typeorm';
import type { Accounts } from '../access/accounts';
import type { ApiKeys } from '../access/api-keys';
import type { FailureLimiter } from '../access/failure-limiter';
import type { SiteDirectory } from '../directory/sites';
import type { Logger } from '../log';
import type { Actor } from '../audit/audit';
import type { Dialer } from '../calls/dial-out/dialer';
import type { ContentControl } from '../calls/content/content-control';
import type { LiveControl } from '../calls/live-control';
import type { Recorder } from '../calls/recorder';
import type { RecordingStore } from '../recordings/recording-store';
import type { MeetingBook } from '../meetings/meeting-book';
import type { MeetingEvents } from '../meetings/meeting-events';
import type { DocumentDeps } from './documents/routes';
import type { JoinDeps } from './join/routes';
import type { DependencyState } from '../observability/dependency-state';
import type { Metrics } from '../observability/metrics';

/** The recordings the API serves, and the recorder of live meetings (null without SIP). */
export interface RecordingDeps {
  store: RecordingStore;
  recorder: Pick<Recorder, 'start' | 'stop' | 'state'> | null;
}

/** What the HTTP layer needs from the rest of the application. */
export interface ApiDeps {
  ds: DataSource;
  sites: SiteDirectory;
  meetings: MeetingBook;
  keys: ApiKeys;
  authFailures: FailureLimiter;
  /** Operator accounts and console sessions. */
  accounts: Accounts;
  /** TRUST_PROXY: X-Forwarded-For/-Proto/-Host come from our reverse proxy and are believed. */
  trustProxy?: boolean;
  sipDomain: string;
  /** TIME_ZONE: local times in reports. */
  timeZone: string;
  log: Logger;
  events: MeetingEvents;
  /** Prometheus metrics; /metrics answers 404 without them. */
  metrics?: Metrics;
  /** Live control; null when SIP is not configured. */
  live: { control: LiveControl; dialer: Dialer } | null;
  /** Meeting recordings; absent = their routes answer 503. */
  recordings?: RecordingDeps;
  endMeeting(id: string, actor: Actor): Promise<void>;
  /** Returns the new end. */
  extendMeeting(id: string, minutes: number, actor: Actor): Promise<Date>;
  /** Meeting documents; absent = no document routes. */
  documents?: DocumentDeps;
  /** Content sharing: who presents, and the operator's stop; absent (no call side) = nobody presents, the stop answers 503. */
  content?: ContentControl;
  /** Browser join: the public join API and the page; absent = neither is served. */
  join?: JoinDeps;
  /** Where the built join page is (default dist/web). */
  joinPageDir?: string;
  /** Where the built operator console is (default dist/console). */
  consolePageDir?: string;
  /** PUBLIC_URL: invitations link to `<publicUrl>/join/<room>`; absent = no link. */
  publicUrl?: string;
  /** H.323 room systems can dial in (H323_HOST is set): invitations say how. */
  h323Enabled?: boolean;
  /** Each dependency's state for /readyz; the app is ready when none is `down` or `connecting`. */
  readiness: () => Promise<Record<string, DependencyState>>;
}
