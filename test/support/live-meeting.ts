import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import type { MeetingEventBody } from '../../src/meetings/meeting-events';
import { TEST_REALM, type TestApi } from './api';

/** Commune names of Gia Lai for the seeded sites, numbered past the list's end so every name is unique. */
const PLACES = ['Ia Grai', 'Đak Đoa', 'Chư Sê', 'Ia Pal', 'Kông Chro', 'Mang Yang', 'Phú Thiện', 'Krông Pa', 'Chư Păh', 'Đức Cơ', 'Ia Pa', 'Kbang'];

export function siteName(n: number): string {
  const place = PLACES[(n - 1) % PLACES.length]!;
  return n <= PLACES.length ? `Xã ${place}` : `Xã ${place} ${Math.ceil(n / PLACES.length)}`;
}

export interface LiveMeeting {
  meetingId: string;
  /** Site ids in booking order; site n (1-based) is siteIds[n - 1], named siteName(n), code `<codePrefix>-<n>`. */
  siteIds: string[];
  /** Publishes on the API's event stream as the call side would. */
  publish(body: MeetingEventBody): void;
}

/**
 * A live meeting inviting `count` directory sites, on the test API (no SIP side: the call side's
 * events are published by the caller). The meeting is made live in the database, as the scheduler
 * would at its start. `codePrefix` keeps the sites apart from others the test made.
 */
export async function seedLiveMeeting(api: TestApi, count: number, roomNumber = 2050, codePrefix = 'xa'): Promise<LiveMeeting> {
  const dir = new SiteDirectory(api.ds, TEST_REALM);
  const siteIds: string[] = [];
  for (let n = 1; n <= count; n += 20) {
    const batch = Array.from({ length: Math.min(20, count - n + 1) }, (_, k) => n + k);
    const made = await Promise.all(
      batch.map((i) =>
        dir.create(
          {
            code: `${codePrefix}-${i}`,
            name: siteName(i),
            protocol: 'sip',
            sipUsername: `${codePrefix}-${i}`,
            sipPassword: `mat-khau-${codePrefix}-${i}`,
            allowedNetworks: [],
            enabled: true,
          },
          cliActor,
        ),
      ),
    );
    siteIds.push(...made.map((s) => s.id));
  }
  const start = new Date(Date.now() - 10 * 60_000);
  const booked = await api.request('POST', '/api/v1/meetings', {
    json: {
      title: `Họp trực tuyến ${count} điểm cầu`,
      roomNumber,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 2 * 3600_000).toISOString(),
      invitedSites: siteIds,
    },
  });
  assert.equal(booked.status, 201, booked.text);
  const meetingId = booked.body.id as string;
  await api.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [meetingId]);
  return { meetingId, siteIds, publish: (body) => api.events.publish(meetingId, body) };
}
