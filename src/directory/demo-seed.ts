import { randomBytes } from 'node:crypto';
import { In } from 'typeorm';
import type { AppContext } from '../app-context';
import { cliActor } from '../audit/audit';
import { ConflictError } from '../errors';
import { SiteEntity } from './site.entity';
import type { SiteCreate } from './site.schema';
import { foldForSearch } from './search-text';

/**
 * The demo: Chư Sê district (Gia Lai) — the town and its 14 communes, each with a room system — and one
 * meeting open now, so a new user sees a realistic directory at once. Running it again adds nothing twice.
 */

interface DemoSite {
  name: string;
  device: string;
  protocol?: 'h323';
  contact: string;
}

const demoSites: DemoSite[] = [
  { name: 'Thị trấn Chư Sê', device: 'Poly G7500', contact: 'Nguyễn Văn Hùng' },
  { name: 'Xã Albá', device: 'Yealink VC200', contact: 'Rơ Mah Thương' },
  { name: 'Xã Ayun', device: 'Yealink VC200', contact: 'Ksor Hiếu' },
  { name: 'Xã Bar Măih', device: 'Poly Studio X30', contact: 'Siu Đức' },
  { name: 'Xã Bờ Ngoong', device: 'Cisco Room Kit Mini', contact: 'Trần Thị Lan' },
  { name: 'Xã Chư Pơng', device: 'Huawei TE30', protocol: 'h323', contact: 'Rơ Châm Mlơn' },
  { name: 'Xã Dun', device: 'Yealink VC200', contact: 'Nay Blúp' },
  { name: 'Xã H Bông', device: 'Poly HDX 7000', protocol: 'h323', contact: 'Kpă Yơn' },
  { name: 'Xã Ia Blang', device: 'Yealink VC500', contact: 'Lê Quang Vinh' },
  { name: 'Xã Ia Glai', device: 'Poly Studio X30', contact: 'Đinh Văn Hơn' },
  { name: 'Xã Ia Hlốp', device: 'Cisco Room Kit Mini', contact: 'Phạm Thị Hoà' },
  { name: 'Xã Ia Ko', device: 'Huawei TE40', contact: 'Rah Lan Lâm' },
  { name: 'Xã Ia Pal', device: 'Yealink VC200', contact: 'Võ Thành Nhân' },
  { name: 'Xã Ia Tiêm', device: 'Poly Group 310', contact: 'Siu H Yuôn' },
  { name: 'Xã Kông Htok', device: 'Yealink VC200', contact: 'Đoàn Minh Tuấn' },
];

const DEMO_ROOM = 2001;
const DEMO_PIN = '2468';

export function demoCode(name: string): string {
  return foldForSearch(name.replace(/^(Thị trấn|Xã) /, '')).replace(/[^a-z0-9]+/g, '-');
}

export interface DemoSeedResult {
  created: { code: string; name: string; sipUsername: string | null; sipPassword: string | null }[];
  existing: number;
  meeting: { id: string; roomNumber: number; pin: string | null; created: boolean } | null;
}

export async function seedDemo(ctx: AppContext, now: Date = new Date()): Promise<DemoSeedResult> {
  const wanted = demoSites.map((s, i) => ({ ...s, code: demoCode(s.name), phone: `0269 3${String(850_100 + i * 7)}` }));
  const present = new Set((await ctx.ds.manager.find(SiteEntity, { where: { code: In(wanted.map((w) => w.code)) } })).map((s) => s.code));
  const created: DemoSeedResult['created'] = [];
  await ctx.ds.transaction(async (em) => {
    for (const w of wanted) {
      if (present.has(w.code)) continue;
      const password = w.protocol === 'h323' ? null : randomBytes(9).toString('base64url');
      const input: SiteCreate = {
        code: w.code,
        name: w.name,
        protocol: w.protocol ?? 'sip',
        ...(w.protocol === 'h323'
          ? { h323Address: `${w.code}.chuse.example:1720` }
          : { sipUri: `sip:${w.code}@${w.code}.chuse.example`, sipUsername: w.code, sipPassword: password }),
        allowedNetworks: [],
        deviceModel: w.device,
        bandwidthKbps: 2048,
        h264PacketizationMode: 1,
        contactName: w.contact,
        contactPhone: w.phone,
        enabled: true,
      };
      await ctx.sites.insert(em, input);
      created.push({ code: w.code, name: w.name, sipUsername: password ? w.code : null, sipPassword: password });
    }
  });

  const start = new Date(Math.floor(now.getTime() / 3600_000) * 3600_000);
  let meeting: DemoSeedResult['meeting'] = null;
  try {
    const view = await ctx.meetings.create(
      {
        title: 'Giao ban trực tuyến UBND huyện Chư Sê',
        roomNumber: DEMO_ROOM,
        pin: DEMO_PIN,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 10 * 3600_000).toISOString(),
        invitedSites: wanted.map((w) => w.code),
        chairSite: wanted[0]!.code,
        dialOut: false,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    meeting = { id: view.meeting.id, roomNumber: DEMO_ROOM, pin: DEMO_PIN, created: true };
  } catch (err) {
    // Seeded before: the room (or the sites) are already booked for that time.
    if (!(err instanceof ConflictError)) throw err;
    const other = err.extra['conflictingMeeting'] as { id: string; roomNumber: number } | null | undefined;
    meeting = other ? { id: other.id, roomNumber: other.roomNumber, pin: null, created: false } : null;
  }
  return { created, existing: present.size, meeting };
}
