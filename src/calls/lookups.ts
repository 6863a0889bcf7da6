import type { DataSource } from 'typeorm';
import { SiteAddresses } from '../directory/site-addresses';
import { siteById } from '../directory/site-lookup';
import type { Site } from '../directory/site.entity';
import { MeetingEntity, type Meeting } from '../meetings/meeting.entity';
import { findRoomBookings, type RoomBookings } from '../meetings/room-bookings';

/**
 * What the call side reads from the directory and the bookings, as functions so that the ingresses
 * take no DataSource and their tests can pass their own.
 */
export interface CallLookups {
  roomBookings(room: number, at: Date, openBeforeMs: number): Promise<RoomBookings>;
  /** The enabled site whose allowed networks contain the address. */
  siteForSource(ip: string): Promise<Site | null>;
  /** The site with this id (enabled or not: a dial-out target is checked by the dialer). */
  siteById(id: string): Promise<Site | null>;
  /** Whether an enabled site signs in with this SIP username. */
  isSiteUsername(user: string): Promise<boolean>;
  /** The meeting, while it is live. */
  liveMeeting(id: string): Promise<Meeting | null>;
}

/** `addresses`: the directory's addresses held in memory (without a change feed, every look-up reads). */
export function callLookups(ds: DataSource, addresses = new SiteAddresses(ds, null)): CallLookups {
  return {
    roomBookings: (room, at, openBeforeMs) => findRoomBookings(ds, room, at, openBeforeMs),
    siteForSource: (ip) => addresses.siteForSource(ip),
    siteById: (id) => siteById(ds, id),
    isSiteUsername: (user) => addresses.isSiteUsername(user),
    liveMeeting: (id) => ds.manager.findOneBy(MeetingEntity, { id, status: 'live' }),
  };
}
