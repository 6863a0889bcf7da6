import { useEffect, useState } from 'preact/hooks';

/** Where the console is: the page and its argument, read from the location hash (`#meetings/<id>/live`). */
export type Route =
  | { page: 'today' }
  | { page: 'sites' }
  | { page: 'meetings'; view?: 'list' }
  | { page: 'meeting'; meetingId: string }
  /** A new booking (meetingId null) or a change to one. */
  | { page: 'booking'; meetingId: string | null }
  | { page: 'live'; meetingId: string }
  | { page: 'attendance'; meetingId: string }
  | { page: 'admin'; tab?: AdminTab }
  | { page: 'account' };

/** The navigation bar's page a route belongs to: a meeting's pages are under Meetings. */
export function section(route: Route): TopPage | null {
  switch (route.page) {
    case 'meeting':
    case 'booking':
    case 'live':
    case 'attendance':
      return 'meetings';
    case 'account':
      return null;
    default:
      return route.page;
  }
}

/** The parts of the admin page, each at its own address (`#admin/audit`). */
export const ADMIN_TABS = ['keys', 'operators', 'audit'] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

/** A page that needs no argument: what the navigation bar links to. */
export type TopPage = Exclude<Route['page'], 'meeting' | 'booking' | 'live' | 'attendance' | 'account'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRoute(hash: string): Route {
  const [page, id, sub] = hash.replace(/^#\/?/, '').split('/');
  if (page === 'sites') return { page: 'sites' };
  if (page === 'admin') return { page: 'admin', tab: ADMIN_TABS.find((t) => t === id) ?? 'keys' };
  if (page === 'account') return { page: 'account' };
  if (page === 'meetings') {
    if (id === 'list') return { page: 'meetings', view: 'list' };
    if (id === 'new') return { page: 'booking', meetingId: null };
    if (id && UUID.test(id)) {
      if (sub === 'live') return { page: 'live', meetingId: id };
      if (sub === 'attendance') return { page: 'attendance', meetingId: id };
      if (sub === 'edit') return { page: 'booking', meetingId: id };
      return { page: 'meeting', meetingId: id };
    }
    return { page: 'meetings' };
  }
  return { page: 'today' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'live':
      return `#meetings/${route.meetingId}/live`;
    case 'attendance':
      return `#meetings/${route.meetingId}/attendance`;
    case 'admin':
      return route.tab ? `#admin/${route.tab}` : '#admin';
    case 'meeting':
      return `#meetings/${route.meetingId}`;
    case 'booking':
      return route.meetingId ? `#meetings/${route.meetingId}/edit` : '#meetings/new';
    case 'meetings':
      return route.view ? `#meetings/${route.view}` : '#meetings';
    default:
      return `#${route.page}`;
  }
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
