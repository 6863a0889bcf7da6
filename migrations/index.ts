import { DirectoryAndBookings1764230400000 } from './1764230400000-directory-and-bookings';
import { RegistrationsAndParticipations1764316800000 } from './1764316800000-registrations-and-participations';
import { DialAttemptsAndReadiness1764403200000 } from './1764403200000-dial-attempts-and-readiness';
import { SiteH323Alias1764489600000 } from './1764489600000-site-h323-alias';
import { OperatorAccounts1764576000000 } from './1764576000000-operator-accounts';
import { SiteGroups1796601600000 } from './1796601600000-site-groups';
import { Recordings1796688000000 } from './1796688000000-recordings';
import { MeetingDocuments1796774400000 } from './1796774400000-meeting-documents';
import { MediaQuality1796860800000 } from './1796860800000-media-quality';
import { ContentShares1796947200000 } from './1796947200000-content-shares';
import { CacheNotifications1797033600000 } from './1797033600000-cache-notifications';
import { MediaServerLost1797120000000 } from './1797120000000-media-server-lost';
import { SiteRegion1797206400000 } from './1797206400000-site-region';
import { DialOutcomeBridgeError1797292800000 } from './1797292800000-dial-outcome-bridge-error';
import { SitePageNotifications1797379200000 } from './1797379200000-site-page-notifications';
import { RegistrationHotRefresh1797465600000 } from './1797465600000-registration-hot-refresh';
import { CascadeLinks1797552000000 } from './1797552000000-cascade-links';
import { ParticipationSipDialog1797638400000 } from './1797638400000-participation-sip-dialog';

/** Every migration, oldest first. A new migration is appended here, never inserted. */
export const migrations = [
  DirectoryAndBookings1764230400000,
  RegistrationsAndParticipations1764316800000,
  DialAttemptsAndReadiness1764403200000,
  SiteH323Alias1764489600000,
  OperatorAccounts1764576000000,
  SiteGroups1796601600000,
  Recordings1796688000000,
  MeetingDocuments1796774400000,
  MediaQuality1796860800000,
  ContentShares1796947200000,
  CacheNotifications1797033600000,
  MediaServerLost1797120000000,
  SiteRegion1797206400000,
  DialOutcomeBridgeError1797292800000,
  SitePageNotifications1797379200000,
  RegistrationHotRefresh1797465600000,
  CascadeLinks1797552000000,
  ParticipationSipDialog1797638400000,
];
