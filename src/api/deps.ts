import type { DataSource } from 'typeorm';
import type { ApiKeys } from '../access/api-keys';
import type { FailureLimiter } from '../access/failure-limiter';
import type { SiteDirectory } from '../directory/sites';
import type { Logger } from '../log';
import type { MeetingBook } from '../meetings/meeting-book';

export type DependencyState = 'up' | 'down' | 'connecting' | 'not configured';

/** What the HTTP layer needs from the rest of the application. */
export interface ApiDeps {
  ds: DataSource;
  sites: SiteDirectory;
  meetings: MeetingBook;
  keys: ApiKeys;
  authFailures: FailureLimiter;
  sipDomain: string;
  log: Logger;
  /** Each dependency's state for /readyz; the app is ready when none is `down` or `connecting`. */
  readiness: () => Promise<Record<string, DependencyState>>;
}
