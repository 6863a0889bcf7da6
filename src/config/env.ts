import { join, resolve } from 'node:path';
import { z } from 'zod';
import { isRegion } from '../directory/region';

/**
 * Every setting diemcau reads from its environment. Parsed once, at start-up, by `loadConfig`;
 * nothing else in the code reads `process.env`.
 */

const hostPort = (what: string) =>
  z.string().transform((raw, ctx) => {
    const out: { host: string; port: number }[] = [];
    for (const item of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(item);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not ${what} host:port` });
        return z.NEVER;
      }
      out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
    }
    return out;
  });

const freeswitchList = z.string().transform((raw, ctx) => {
  const out: { host: string; port: number; password: string }[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^:]+):(\d{1,5}):(.+)$/.exec(item);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port:password` });
      return z.NEVER;
    }
    out.push({ host: m[1]!, port: Number(m[2]), password: m[3]! });
  }
  return out;
});

const range = z.string().transform((raw, ctx) => {
  const m = /^(\d{3,9})-(\d{3,9})$/.exec(raw.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min > max) {
    ctx.addIssue({ code: 'custom', message: 'must be MIN-MAX, e.g. 2000-2999' });
    return z.NEVER;
  }
  return { min, max };
});

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** `ws://host:port[/path]` or `wss://…`, comma-separated: drachtio-server's WebSocket listeners for browsers. */
const wsUrlList = z.string().transform((raw, ctx) => {
  const out: string[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let ok = false;
    try {
      const url = new URL(item);
      // No quotes, spaces or semicolons: the URL also goes into the join page's Content-Security-Policy.
      ok = (url.protocol === 'ws:' || url.protocol === 'wss:') && !/[\s;'"]/.test(item);
    } catch {
      ok = false;
    }
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not a ws:// or wss:// URL` });
      return z.NEVER;
    }
    out.push(item);
  }
  return out;
});

/** An RTCIceServer, without the DOM lib. */
export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * The bridge's public base URL as people reach it (`https://cau.example.gov.vn`): invitations link
 * to its join page. Scheme and host, optionally a path prefix; no query or fragment; no trailing slash.
 */
const publicUrl = z.string().transform((raw, ctx) => {
  const text = raw.trim().replace(/\/+$/, '');
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password || /[\s"'<>]/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `"${raw}" is not an http:// or https:// base URL (no query, fragment or credentials)` });
    return z.NEVER;
  }
  return text;
});

const iceUrl = z.string().regex(/^(stun|stuns|turn|turns):[^\s,]+$/, 'must be a stun:, stuns:, turn: or turns: URL');

/**
 * STUN/TURN servers handed to browsers: comma-separated `stun:`/`turn:` URLs, or a JSON array of
 * RTCIceServer objects (for TURN credentials). Empty by default: a bridge on a closed network must
 * not send browsers to a public STUN server.
 */
const iceServerList = z.string().transform((raw, ctx): IceServerConfig[] => {
  const text = raw.trim();
  let value: unknown = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((urls) => ({ urls }));
  if (text.startsWith('[')) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(err as Error).message}` });
      return z.NEVER;
    }
  }
  const server = z.object({ urls: z.union([iceUrl, z.array(iceUrl).min(1)]), username: z.string().optional(), credential: z.string().optional() }).strict();
  const parsed = z.array(server).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({ code: 'custom', message: `${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() });
    return z.NEVER;
  }
  return parsed.data.map(({ urls, username, credential }) => ({
    urls,
    ...(username !== undefined ? { username } : {}),
    ...(credential !== undefined ? { credential } : {}),
  }));
});

export const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL server; unset = embedded PGlite under DATA_DIR'),
  DATA_DIR: z.string().min(1).default('./data').describe('Where the embedded database lives'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: int(0, 65535).default(3000),
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .describe('A reverse proxy in front sets X-Forwarded-For/-Proto/-Host, and they are believed (client address, HTTPS)'),
  SESSION_IDLE_MINUTES: int(5, 7 * 24 * 60)
    .default(480)
    .describe('A console session ends after this long without a request'),
  SESSION_MAX_HOURS: int(1, 366 * 24)
    .default(168)
    .describe('A console session ends this long after sign-in, however busy'),
  SIP_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
    .default('bridge.example')
    .describe('SIP domain and digest realm of the bridge'),
  DRACHTIO_HOST: z.string().min(1).optional().describe('drachtio-server admin host; unset = no SIP'),
  DRACHTIO_PORT: int(1, 65535).default(9022),
  DRACHTIO_SECRET: z.string().min(1).default('cymru'),
  FREESWITCH_SERVERS: freeswitchList.default([]),
  FREESWITCH_MAX_MEMBERS: int(0, 100_000)
    .default(0)
    .describe(
      'Sites one FreeSWITCH carries, all meetings together; a meeting larger spreads over several (docs/scale.md). 0 = one FreeSWITCH per meeting, no limit',
    ),
  FREESWITCH_HEALTH_SECONDS: int(1, 60)
    .default(5)
    .describe('How often each FreeSWITCH is asked `status`; three unanswered in a row and its calls move to the others (docs/scale.md, "Failover")'),
  FREESWITCH_REGIONS: z
    .string()
    .transform((raw, ctx) => {
      const out = new Map<string, string>();
      for (const item of raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const m = /^([^=\s]+:\d{1,5})=(.+)$/.exec(item);
        if (!m || !isRegion(m[2]!)) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port=region (a region is lower-case words joined by dashes, e.g. mien-bac)` });
          return z.NEVER;
        }
        out.set(m[1]!, m[2]!);
      }
      return out;
    })
    .default(new Map())
    .describe(
      "Each FreeSWITCH server's region, host:port=region, comma-separated: a meeting spread over several puts a site on a server of its region (docs/scale.md)",
    ),
  RTPENGINE_SERVERS: hostPort('an rtpengine').default([]),
  FREESWITCH_CALLBACK_ADDRESS: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address FreeSWITCH connects back to for call control (this host, as FreeSWITCH reaches it)'),
  CONFERENCE_PROFILE: z
    .string()
    .regex(/^[\w-]+$/)
    .default('diemcau-video')
    .describe('FreeSWITCH conference profile'),
  CONFERENCE_SECONDARY_PROFILE: z
    .string()
    .regex(/^[\w-]+$/)
    .optional()
    .describe(
      "The profile of a cascaded meeting's conferences on its secondary nodes (two canvases); by default diemcau-video-secondary with diemcau-video, else CONFERENCE_PROFILE",
    ),
  SOUNDS_DIR: z
    .string()
    .min(1)
    .default('./dialplans/freeswitch/sounds')
    .describe('Where FreeSWITCH finds the prompts (`npm run prompts` writes them); absolute on the FreeSWITCH host'),
  MEDIA_QUALITY_INTERVAL_SECONDS: int(1, 3600).default(60).describe('How often each call’s media quality is sampled (a last sample is taken at hang-up)'),
  JOIN_OPEN_MINUTES: int(0, 240).default(15).describe('Callers may join this long before a meeting starts'),
  ROOM_CAPACITY: int(2, 1000).default(100).describe('Participants one meeting holds'),
  MEETING_LEAD_SECONDS: int(0, 3600).default(120).describe('Meetings go live (and dial out) this long before they start'),
  READINESS_SWEEP_MINUTES: int(0, 1440).default(15).describe('OPTIONS every invited site this long before the start'),
  END_WARNING_MINUTES: int(0, 60).default(5).describe('Participants hear a warning this long before the end'),
  DIAL_CONCURRENCY: int(1, 200).default(10).describe('Dial-out attempts in flight at once'),
  RING_TIMEOUT_SECONDS: int(5, 300).default(45).describe('A dial-out attempt gives up after this long unanswered'),
  REDIAL_DROPPED: z.enum(['true', 'false']).default('true').describe('Redial an invited site whose call drops mid-meeting'),
  WEBHOOK_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('Meeting events are POSTed here, signed'),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  H323_HOST: z.string().min(1).optional().describe('Address the H.323 gatekeeper and call server bind to; unset = no H.323'),
  H323_PORT: int(1, 65535).default(1720).describe('H.225 call signalling (TCP)'),
  RAS_PORT: int(1, 65535).default(1719).describe('H.225 RAS gatekeeper (UDP)'),
  H323_ADVERTISED_ADDRESS: z.string().min(1).optional().describe('Address endpoints are told to call; defaults to H323_HOST'),
  BFCP_HOST: z.string().min(1).optional().describe('Address the BFCP floor control server (content sharing) binds to; unset = room systems cannot present'),
  BFCP_PORT: int(0, 65535).default(5070).describe('BFCP over UDP and over TCP (0: any free port)'),
  BFCP_ADVERTISED_ADDRESS: z.string().min(1).optional().describe('Address room systems are told to send BFCP to; defaults to BFCP_HOST'),
  JOIN_TOKEN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  SIP_WS_URL: wsUrlList
    .default([])
    .describe('drachtio-server WebSocket URL(s) browsers connect to, comma-separated (e.g. ws://127.0.0.1:8088); empty = no browser join'),
  ICE_SERVERS: iceServerList
    .default([])
    .describe('STUN/TURN servers for browsers: comma-separated stun:/turn: URLs, or a JSON array of RTCIceServer; default none'),
  PUBLIC_URL: publicUrl.optional().describe('Public base URL of the bridge (https://cau.example.gov.vn); invitations link to its join page; unset = no link'),
  DOCUMENTS_DIR: z.string().min(1).default('./data/documents').describe('Where meeting documents are kept (local store)'),
  DOCUMENT_MAX_MB: int(1, 2048).default(50).describe('Largest document an upload may be, in MiB (413 beyond)'),
  DOCUMENTS_S3_BUCKET: z.string().min(3).max(63).optional().describe('Keep documents in this S3-compatible bucket instead of DOCUMENTS_DIR'),
  DOCUMENTS_S3_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('S3-compatible endpoint (MinIO: http://minio:9000); unset = AWS'),
  DOCUMENTS_S3_REGION: z.string().min(1).default('us-east-1'),
  DOCUMENTS_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  DOCUMENTS_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  DOCUMENTS_S3_PATH_STYLE: z.enum(['true', 'false']).default('true').describe('Path-style URLs (bucket in the path), as MinIO needs'),
  RECORDINGS_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Where FreeSWITCH writes meeting recordings and the bridge serves them from: the same path on both hosts (default DATA_DIR/recordings); checked writable at start',
    ),
  RECORDING_RETENTION_DAYS: int(0, 36500).default(365).describe('Recordings older than this are deleted, file and row; 0 keeps them for ever'),
  RECORDING_MIN_FREE_MB: int(1, 10_000_000).default(1024).describe('A recording is refused when RECORDINGS_DIR has less free space than this'),
  ROOM_NUMBERS: range.default({ min: 2000, max: 2999 }).describe('Range room numbers are allocated from'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  TIME_ZONE: z.string().min(1).default('Asia/Ho_Chi_Minh').describe('Local time zone of the district'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  database: { url: string } | { embedded: { dataDir: string } };
  http: { host: string; port: number; trustProxy: boolean };
  /** Console sessions: idle timeout and absolute lifetime. */
  sessions: { idleMs: number; maxMs: number };
  sip: {
    domain: string;
    drachtio?: { host: string; port: number; secret: string };
  };
  freeswitch: { host: string; port: number; password: string }[];
  media: {
    callbackAddress: string;
    conferenceProfile: string;
    /** A cascaded meeting's conferences on secondary nodes (docs/scale.md, "Video"). */
    secondaryProfile: string;
    soundsDir: string;
    qualityIntervalMs: number;
    maxMembersPerServer: number;
    /** Each server's region, by `host:port` (FREESWITCH_REGIONS). */
    regions: ReadonlyMap<string, string>;
    /** How often each server's health is checked (FREESWITCH_HEALTH_SECONDS). */
    healthIntervalMs: number;
  };
  admission: { openBeforeMs: number; capacity: number };
  schedule: { leadMs: number; readinessBeforeMs: number; endWarningMs: number };
  dialOut: { concurrency: number; ringTimeoutMs: number; redialDropped: boolean };
  rtpengine: { host: string; port: number }[];
  joinTokenSecret?: string;
  /** Browser join: where browsers reach drachtio-server over WebSocket, and the ICE servers they may use. */
  browserJoin: { wsServers: string[]; iceServers: IceServerConfig[] };
  webhook?: { url: string; secret: string };
  h323?: { host: string; port: number; rasPort: number; advertised: string };
  /** The BFCP floor control server; absent: content lines are refused. */
  bfcp?: { host: string; port: number; advertised: string };
  roomNumbers: { min: number; max: number };
  /** Absolute: FreeSWITCH is handed file paths under it. */
  recordings: { dir: string; retentionDays: number; minFreeBytes: number };
  /** PUBLIC_URL without a trailing slash: invitations link to `<publicUrl>/join/<room>`. */
  publicUrl?: string;
  log: { level: Env['LOG_LEVEL']; format: Env['LOG_FORMAT'] };
  timeZone: string;
  documents: { maxBytes: number; store: { dir: string } | { s3: S3StoreConfig } };
}

export interface S3StoreConfig {
  bucket: string;
  region: string;
  endpoint?: string;
  pathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws one ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(envSchema.shape);
  const input: Record<string, string> = {};
  for (const key of known) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  if (!isValidTimeZone(e.TIME_ZONE)) throw new ConfigError([`TIME_ZONE: unknown time zone "${e.TIME_ZONE}"`]);
  if (e.H323_HOST && !e.DRACHTIO_HOST) {
    throw new ConfigError(['H323_HOST: H.323 calls join meetings through the SIP side; set DRACHTIO_HOST (and FREESWITCH_SERVERS) too']);
  }
  if (e.H323_HOST === '0.0.0.0' && !e.H323_ADVERTISED_ADDRESS) {
    throw new ConfigError(['H323_ADVERTISED_ADDRESS: required when H323_HOST is 0.0.0.0 (endpoints are told where to call)']);
  }
  if (e.BFCP_HOST && !e.DRACHTIO_HOST) throw new ConfigError(['BFCP_HOST: content sharing needs the SIP side; set DRACHTIO_HOST (and FREESWITCH_SERVERS) too']);
  if ((e.BFCP_HOST === '0.0.0.0' || e.BFCP_HOST === '::') && !e.BFCP_ADVERTISED_ADDRESS) {
    throw new ConfigError(['BFCP_ADVERTISED_ADDRESS: required when BFCP_HOST is a wildcard (room systems are told where to send BFCP)']);
  }
  if (Boolean(e.DOCUMENTS_S3_ACCESS_KEY_ID) !== Boolean(e.DOCUMENTS_S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError(['DOCUMENTS_S3_ACCESS_KEY_ID, DOCUMENTS_S3_SECRET_ACCESS_KEY: set both or neither']);
  }
  const servers = new Set(e.FREESWITCH_SERVERS.map((s) => `${s.host}:${s.port}`));
  const unknown = [...e.FREESWITCH_REGIONS.keys()].filter((id) => !servers.has(id));
  if (unknown.length) throw new ConfigError([`FREESWITCH_REGIONS: ${unknown.join(', ')} is not in FREESWITCH_SERVERS`]);
  if (e.FREESWITCH_MAX_MEMBERS === 1) {
    throw new ConfigError(['FREESWITCH_MAX_MEMBERS: 0 (no limit) or at least 2 (a node linked into a meeting carries its link and a site)']);
  }
  if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) throw new ConfigError(['WEBHOOK_SECRET: required with WEBHOOK_URL (receivers verify the signature)']);
  return {
    database: e.DATABASE_URL ? { url: e.DATABASE_URL } : { embedded: { dataDir: e.DATA_DIR } },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT, trustProxy: e.TRUST_PROXY === 'true' },
    sessions: { idleMs: e.SESSION_IDLE_MINUTES * 60_000, maxMs: e.SESSION_MAX_HOURS * 3_600_000 },
    sip: {
      domain: e.SIP_DOMAIN,
      ...(e.DRACHTIO_HOST ? { drachtio: { host: e.DRACHTIO_HOST, port: e.DRACHTIO_PORT, secret: e.DRACHTIO_SECRET } } : {}),
    },
    freeswitch: e.FREESWITCH_SERVERS,
    media: {
      callbackAddress: e.FREESWITCH_CALLBACK_ADDRESS,
      conferenceProfile: e.CONFERENCE_PROFILE,
      secondaryProfile: e.CONFERENCE_SECONDARY_PROFILE ?? secondaryProfileFor(e.CONFERENCE_PROFILE),
      soundsDir: resolve(e.SOUNDS_DIR),
      qualityIntervalMs: e.MEDIA_QUALITY_INTERVAL_SECONDS * 1000,
      maxMembersPerServer: e.FREESWITCH_MAX_MEMBERS,
      regions: e.FREESWITCH_REGIONS,
      healthIntervalMs: e.FREESWITCH_HEALTH_SECONDS * 1000,
    },
    admission: { openBeforeMs: e.JOIN_OPEN_MINUTES * 60_000, capacity: e.ROOM_CAPACITY },
    schedule: { leadMs: e.MEETING_LEAD_SECONDS * 1000, readinessBeforeMs: e.READINESS_SWEEP_MINUTES * 60_000, endWarningMs: e.END_WARNING_MINUTES * 60_000 },
    dialOut: { concurrency: e.DIAL_CONCURRENCY, ringTimeoutMs: e.RING_TIMEOUT_SECONDS * 1000, redialDropped: e.REDIAL_DROPPED === 'true' },
    rtpengine: e.RTPENGINE_SERVERS,
    ...(e.JOIN_TOKEN_SECRET ? { joinTokenSecret: e.JOIN_TOKEN_SECRET } : {}),
    browserJoin: { wsServers: e.SIP_WS_URL, iceServers: e.ICE_SERVERS },
    ...(e.WEBHOOK_URL && e.WEBHOOK_SECRET ? { webhook: { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET } } : {}),
    ...(e.BFCP_HOST ? { bfcp: { host: e.BFCP_HOST, port: e.BFCP_PORT, advertised: e.BFCP_ADVERTISED_ADDRESS ?? e.BFCP_HOST } } : {}),
    ...(e.H323_HOST ? { h323: { host: e.H323_HOST, port: e.H323_PORT, rasPort: e.RAS_PORT, advertised: e.H323_ADVERTISED_ADDRESS ?? e.H323_HOST } } : {}),
    roomNumbers: e.ROOM_NUMBERS,
    recordings: {
      dir: resolve(e.RECORDINGS_DIR ?? join(e.DATA_DIR, 'recordings')),
      retentionDays: e.RECORDING_RETENTION_DAYS,
      minFreeBytes: e.RECORDING_MIN_FREE_MB * 1048576,
    },
    ...(e.PUBLIC_URL ? { publicUrl: e.PUBLIC_URL } : {}),
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    timeZone: e.TIME_ZONE,
    documents: { maxBytes: e.DOCUMENT_MAX_MB * 1024 * 1024, store: documentStore(e) },
  };
}

function documentStore(e: Env): Config['documents']['store'] {
  if (!e.DOCUMENTS_S3_BUCKET) return { dir: resolve(e.DOCUMENTS_DIR) };
  return {
    s3: {
      bucket: e.DOCUMENTS_S3_BUCKET,
      region: e.DOCUMENTS_S3_REGION,
      pathStyle: e.DOCUMENTS_S3_PATH_STYLE === 'true',
      ...(e.DOCUMENTS_S3_ENDPOINT ? { endpoint: e.DOCUMENTS_S3_ENDPOINT } : {}),
      ...(e.DOCUMENTS_S3_ACCESS_KEY_ID && e.DOCUMENTS_S3_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: e.DOCUMENTS_S3_ACCESS_KEY_ID, secretAccessKey: e.DOCUMENTS_S3_SECRET_ACCESS_KEY } }
        : {}),
    },
  };
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The variable names the configuration knows; deployment files are checked against this list. */
export const knownVariables: readonly string[] = Object.keys(envSchema.shape);

/** The shipped video profile has a two-canvas twin for secondary nodes; other profiles serve both. */
function secondaryProfileFor(profile: string): string {
  return profile === 'diemcau-video' ? 'diemcau-video-secondary' : profile;
}
