import type { TestApi, Reply } from './api';
import { Rng } from './rng';

/**
 * A seeded fuzzer for the HTTP API, driven by its OpenAPI document: every operation, with valid
 * requests made hostile in each path parameter, query parameter and body field, and with hostile
 * bodies, content types and methods. An answer is wrong when it is a 5xx the operation does not
 * declare, or a 4xx that is not problem+json (or whose problem names another status).
 */

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/** What the fuzzer's valid requests refer to: the test seeds these. */
export interface Known {
  /** Ids for `{id}` by resource ("sites", "site-groups", "meetings", "api-keys", "operators"). */
  ids: Record<string, string[]>;
  /** Ids and codes of sites that meetings invite. */
  siteRefs: string[];
  /** Ids and codes of site groups whose members meetings invite. */
  groupRefs: string[];
  /** Room numbers with meetings, for the join API. */
  rooms: string[];
  /** The PINs of those meetings. */
  pins: string[];
  /** Names for `/join/assets/{file}`. */
  assets: string[];
}

/** An id nothing has. */
const MISSING = '7d444840-9dc0-41d1-b245-5ffdce74fad2';

interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

export interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface Target {
  method: string;
  template: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body: { kind: 'json'; schema: JsonSchema } | { kind: 'csv' } | undefined;
  declared: Set<number>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One request before it is sent; path and query values are already percent-encoded. */
interface Draft {
  target: Target;
  method: string;
  path: Record<string, string>;
  query: [string, string][];
  json?: Json;
  raw?: string | Uint8Array;
  contentType?: string;
  /** What was made hostile, for the failure report. */
  notes: string[];
}

/** Stands for a deeply nested value, spliced into the JSON text (building it as an object would cost the test's own stack). */
const DEEP = '\u0001deep\u0001';
const deepText = (n: number) => (n % 2 ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : '['.repeat(n) + ']'.repeat(n));

/** UTF-8 percent-encoding of everything but unreserved characters; a lone surrogate goes as U+FFFD, as a browser sends it. */
const enc = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');

const hostileTexts = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\uDBFF\uDBFF',
  '',
  ' ',
  '\t\r\n',
  '\u202Eevil',
  '😀'.repeat(300),
  'e\u0301'.repeat(150),
  'x'.repeat(3000),
  '%00',
  '\\',
  "'; DROP TABLE site; --",
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'NaN',
  'null',
  'true',
];
const hostileNumberTexts = [
  '2147483648',
  '-2147483649',
  '9007199254740993',
  '1e21',
  '1e309',
  '0.5',
  '-1',
  '-0',
  '1e-7',
  'NaN',
  'Infinity',
  '0x10',
  ' 1',
  '9'.repeat(400),
];
const hostileDates = [
  '2026-02-30T08:00:00Z',
  '+300000-01-01T00:00:00Z',
  '300000-01-01T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T23:59:60Z',
  '0000-01-01T00:00:00+14:00',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59-23:59',
  '-001000-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999999999Z',
  'infinity',
  '-infinity',
  'epoch',
  'now',
  '2026-01-01',
  '2026-01-01T08:00:00',
];
const hostileIds = (uuid: string) => [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  uuid.toUpperCase(),
  `${uuid}x`,
  `{${uuid}}`,
  uuid.replace(/-/g, ''),
  ` ${uuid}`,
];
/** Already encoded: what no encoder would produce (invalid UTF-8, overlong NUL, broken escapes), and more than Node takes in a URL. */
const rawUrlValues = ['%00', '%FF', '%ED%A0%80', '%C0%80', '%F4%90%80%80', '%', '%zz', '%2F', '..', '%2e%2e', '%u0000', 'x'.repeat(20_000)];
const hostileNumbers = [2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, -1, 0, -0, 0.5, 1e-7, 64.0000001, Number.MIN_VALUE];
const wrongTypes: Json[] = [true, false, null, {}, [], [1, 2], { a: 1 }, [[[]]], [null], 'string', ['\u0000'], { '\u0000': 1 }];
const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'a\u0000', '\uD800', ''];
const oddMethods = ['PROPFIND', 'PURGE', 'LOCK', 'MKCOL', 'SEARCH', 'OPTIONS', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST', 'GET'];
const wrongContentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json;;;',
  'text/csv',
  'application/json',
  '',
];
const rawBodies: (string | Uint8Array)[] = [
  '',
  ' ',
  '{',
  '{"a":',
  "{'a':1}",
  '[1,]',
  'NaN',
  'null',
  '[]',
  '"text"',
  '1e999',
  '\uFEFF{}',
  '{"a":1,"a":2}',
  'nul\u0000l',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  deepText(20_000),
  deepText(20_001),
  'x'.repeat(300 * 1024),
  Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  Uint8Array.from([0xc0, 0x80]),
];

/** An own enumerable key, even `__proto__`, which an object literal would take as the prototype. */
function withKey(o: { [key: string]: Json }, key: string, value: Json): { [key: string]: Json } {
  return Object.defineProperty({ ...o }, key, { value, enumerable: true, writable: true, configurable: true });
}

export class ApiFuzzer {
  readonly failures: string[] = [];
  sent = 0;
  /** Answers by status class ("2xx", "4xx"; a 5xx by its status), to show how deep the requests got. */
  readonly answered: Record<string, number> = {};
  /** Each draft's meeting slot, so that startsAt and endsAt of a valid booking agree. */
  private slot = 0;
  /** Whose `id` a draft's path names: a site's for /sites/{id}, and so on. */
  private resource = '';
  private readonly examples: Record<string, () => Json>;

  private readonly rng: Rng;

  constructor(
    private readonly api: TestApi,
    private readonly doc: OpenApi,
    private readonly seed: number,
    known: Known,
  ) {
    this.rng = new Rng(seed);
    const r = this.rng;
    const iso = (ms: number) => new Date(ms).toISOString();
    // Valid values for fields a schema alone does not describe well enough (patterns, references, time order).
    this.examples = {
      code: () => `fz-${r.int(1, 999)}`,
      sipUri: () => `sip:room${r.int(1, 99)}@10.0.${r.int(0, 255)}.5`,
      sipUsername: () => `fz-user-${r.int(1, 999)}`,
      sipPassword: () => 'secret-password',
      contactPhone: () => '0269 3850 100',
      allowedNetworks: () => r.pick([[], ['10.20.0.0/16'], ['10.20.1.7', '2001:db8::/32']]),
      pin: () => (r.chance(0.7) ? r.pick(known.pins) : String(r.int(1000, 99_999_999))),
      room: () => (r.chance(0.7) ? r.pick(known.rooms) : String(r.int(100, 999_999_999))),
      startsAt: () => iso(this.slot),
      endsAt: () => iso(this.slot + r.pick([1, 2, 30]) * 3_600_000),
      from: () => iso(Date.now() + r.int(-100, 100) * 86_400_000),
      to: () => iso(Date.now() + r.int(-100, 100) * 86_400_000),
      invitedSites: () => (r.chance(0.5) ? [] : [r.pick(known.siteRefs)]),
      chairSite: () => r.pick([null, ...known.siteRefs]),
      invitedGroups: () => (r.chance(0.5) ? [] : [r.pick(known.groupRefs)]),
      sites: () => (r.chance(0.3) ? [] : [r.pick(known.siteRefs)]),
      group: () => r.pick(known.groupRefs),
      site: () => r.pick(known.siteRefs),
      uri: () => 'sip:someone@10.0.0.9',
      id: () => (r.chance(0.9) ? r.pick(known.ids[this.resource] ?? [MISSING]) : MISSING),
      participantId: () => this.uuid(),
      file: () => r.pick(known.assets),
      status: () => r.pick(['scheduled', 'live,ended', 'cancelled']),
      username: () => r.pick(['fz-op', `fz-op-${r.int(1, 999)}`]),
      password: () => 'fuzz-password-long',
      currentPassword: () => 'fuzz-password-long',
      newPassword: () => 'fuzz-password-longer',
      operatorId: () => r.pick(known.ids['operators'] ?? [MISSING]),
    };
  }

  /**
   * The sweep (every location of every operation gets NUL and a lone surrogate, and a few other
   * hostile values; every operation odd methods, every body wrong content types and broken bodies),
   * then `iterations` random requests with one to three hostile changes, then paths no route has.
   */
  async run(iterations: number): Promise<void> {
    const targets = this.targets();
    for (const target of targets) {
      for (const location of this.locations(target)) {
        for (const value of this.sweepValues(location)) {
          const d = this.valid(target);
          this.place(d, location, value);
          await this.send(d);
        }
      }
      for (const method of ['PROPFIND', this.rng.pick(oddMethods), this.rng.pick(oddMethods)])
        await this.send({ ...this.valid(target), method, notes: [`method=${method}`] });
      if (target.body) {
        for (const contentType of this.some(wrongContentTypes, 4))
          await this.send({ ...this.valid(target), contentType, notes: [`content-type=${contentType}`] });
        for (const raw of this.some(rawBodies, 6)) await this.send({ ...this.valid(target), raw, notes: ['raw body'] });
      }
    }
    for (let i = 0; i < iterations; i++) {
      const d = this.valid(this.rng.pick(targets));
      this.mutate(d);
      await this.send(d);
    }
    for (const path of [
      '/api/v1/nothing',
      '/api/v1/sites/a/b/c',
      `/api/v1/${'%00'.repeat(10)}`,
      '/api/v1/%ED%A0%80',
      '/%FF',
      '/api/v2/sites',
      '/api/v1/sites%2F..%2Fapi-keys',
    ]) {
      for (const method of ['GET', 'POST', 'PROPFIND']) {
        await this.send({
          target: { method, template: path, pathParams: [], query: {}, body: undefined, declared: new Set() },
          method,
          path: {},
          query: [],
          notes: ['unknown path'],
        });
      }
    }
  }

  /** The operations of the document. */
  private targets(): Target[] {
    return Object.entries(this.doc.paths).flatMap(([template, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const content = op.requestBody?.content ?? {};
        return {
          method: method.toUpperCase(),
          template,
          pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          query: Object.fromEntries((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
          body: content['text/csv']
            ? { kind: 'csv' as const }
            : content['application/json']
              ? { kind: 'json' as const, schema: content['application/json'].schema }
              : undefined,
          declared: new Set(Object.keys(op.responses).map(Number)),
        };
      }),
    );
  }

  /** A request every part of which should pass validation. */
  private valid(target: Target): Draft {
    this.resource = /^\/api\/v1\/([\w-]+)\//.exec(target.template)?.[1] ?? '';
    this.slot = Date.UTC(2030, 0, 1) + this.rng.int(1, 400) * 86_400_000 + this.rng.int(0, 23) * 3_600_000;
    const path = Object.fromEntries(target.pathParams.map((name) => [name, enc(String(this.sample({ type: 'string' }, name)))]));
    const query: [string, string][] = Object.entries(target.query)
      .filter(() => this.rng.chance(0.5))
      .map(([name, schema]) => [name, enc(String(this.sample(schema, name)))]);
    const draft: Draft = { target, method: target.method, path, query, notes: [] };
    if (target.body?.kind === 'json') {
      draft.json = this.sample(target.body.schema);
      draft.contentType = 'application/json';
    } else if (target.body?.kind === 'csv') {
      draft.raw = this.csv();
      draft.contentType = 'text/csv';
    }
    return draft;
  }

  /** Every place a hostile value can go: each path and query parameter, the body and its fields. */
  private locations(target: Target): string[] {
    const fields = target.body?.kind === 'json' ? Object.keys(this.resolve(target.body.schema).properties ?? {}) : [];
    return [
      ...target.pathParams.map((n) => `path:${n}`),
      ...Object.keys(target.query).map((n) => `query:${n}`),
      ...(target.body?.kind === 'json' ? ['body:', ...fields.map((f) => `body:${f}`)] : []),
      ...(target.body?.kind === 'csv' ? ['csv:'] : []),
    ];
  }

  /** At every location NUL and a lone surrogate, whatever the seed, and a few other hostile values the seed picks. */
  private sweepValues(location: string): (string | Json)[] {
    if (location.startsWith('path:') || location.startsWith('query:')) {
      return [
        enc('a\u0000b'),
        '%ED%A0%80',
        ...this.some(
          [
            '%FF',
            '%C0%80',
            enc('x'.repeat(3000)),
            enc('2147483648'),
            enc('-0.5'),
            enc('+300000-01-01T00:00:00Z'),
            enc('0000-01-01T00:00:00+14:00'),
            enc('not-a-uuid'),
          ],
          4,
        ),
      ];
    }
    if (location === 'csv:') return ['a\u0000b', ...this.some(['x'.repeat(100_000), '2147483648', '-0.5', '"', '=cmd|calc'], 3)];
    return [
      'a\u0000b',
      'x\uD800',
      ...this.some<Json>(
        ['x'.repeat(100_000), 2 ** 31, -(2 ** 31) - 1, 1e308, 0.5, null, true, {}, ['\u0000'], '+300000-01-01T00:00:00Z', '0000-01-01T00:00:00+14:00', DEEP],
        4,
      ),
    ];
  }

  /** `n` of `xs`, in a seeded order. */
  private some<T>(xs: readonly T[], n: number): T[] {
    const pool = [...xs];
    return Array.from({ length: Math.min(n, pool.length) }, () => pool.splice(this.rng.int(0, pool.length - 1), 1)[0]!);
  }

  /** A version 4 UUID from the seeded source, so that a replay sends the same ones. */
  private uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.rng.int(0, 15).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }

  /** Puts `value` at `location` of the draft. */
  private place(d: Draft, location: string, value: string | Json): void {
    const [where, name = ''] = location.split(/:(.*)/s);
    d.notes.push(`${location}=${JSON.stringify(value).slice(0, 60)}`);
    if (where === 'path') d.path[name] = String(value);
    else if (where === 'query') d.query = [...d.query.filter(([k]) => k !== name), [name, String(value)]];
    else if (where === 'csv') d.raw = this.csv(String(value));
    else if (name === '') d.json = value as Json;
    else if (d.json && typeof d.json === 'object' && !Array.isArray(d.json)) d.json = withKey(d.json, name, value as Json);
  }

  /** One to three random hostile changes, to any part of the request. */
  private mutate(d: Draft): void {
    const r = this.rng;
    const uuid = this.uuid();
    for (let i = r.int(1, 3); i > 0; i--) {
      const locations = this.locations(d.target);
      const kind = r.int(0, 9);
      if (kind === 0 || !locations.length) {
        d.method = r.pick(oddMethods);
        d.notes.push(`method=${d.method}`);
      } else if (kind === 1 && d.target.body) {
        d.contentType = r.pick(wrongContentTypes);
        d.notes.push(`content-type=${d.contentType}`);
      } else if (kind === 2 && d.target.body) {
        d.raw = r.pick(rawBodies);
        delete d.json;
        d.notes.push(`raw body ${typeof d.raw === 'string' ? JSON.stringify(d.raw.slice(0, 40)) : `bytes ${Buffer.from(d.raw).toString('hex')}`}`);
      } else if (kind === 3) {
        // A parameter nobody declared, an array where a scalar is expected, a hostile name.
        const name = r.pick([...Object.keys(d.target.query), ...hostileKeys, 'q[]', 'q[a]', 'unknown']);
        d.query.push([enc(name), enc(r.pick(hostileTexts))], [enc(name), enc('second')]);
        d.notes.push(`query ${JSON.stringify(name)} repeated`);
      } else if (kind === 4 && d.json && typeof d.json === 'object' && !Array.isArray(d.json)) {
        const key = r.pick(hostileKeys);
        d.json = withKey(d.json, key, r.pick<Json>([{ polluted: true }, { prototype: { polluted: true } }, 1, '\u0000']));
        d.notes.push(`body key ${JSON.stringify(key)}`);
      } else {
        const location = r.pick(locations);
        const inUrl = location.startsWith('path:') || location.startsWith('query:');
        const pool = r.int(0, 5);
        const text = [hostileTexts, hostileNumberTexts, hostileDates, hostileIds(uuid), hostileTexts, hostileTexts][pool]!;
        if (inUrl) this.place(d, location, pool === 5 ? r.pick(rawUrlValues) : enc(r.pick(text)));
        else if (location === 'csv:') this.place(d, location, r.pick(text));
        else this.place(d, location, r.pick<string | Json>([...text, ...hostileNumbers, ...wrongTypes, DEEP, 'x'.repeat(r.int(1, 200_000))]));
      }
    }
  }

  private async send(d: Draft): Promise<void> {
    const path = d.target.template.replace(/\{(\w+)\}/g, (_, name: string) => d.path[name] ?? '');
    const url = d.query.length ? `${path}?${d.query.map(([k, v]) => `${k}=${v}`).join('&')}` : path;
    const bodyless = d.method === 'GET' || d.method === 'HEAD';
    const body = bodyless
      ? undefined
      : (d.raw ?? (d.json === undefined ? undefined : JSON.stringify(d.json).replace(JSON.stringify(DEEP), deepText(this.rng.int(1000, 20_000)))));
    this.sent++;
    let res: Reply;
    try {
      res = await this.api.request(d.method, url, {
        ...(body !== undefined ? { body } : {}),
        ...(d.contentType !== undefined && !bodyless ? { contentType: d.contentType } : {}),
      });
    } catch (err) {
      this.fail(d, url, `no answer: ${(err as Error).message}`);
      return;
    }
    const type = res.headers.get('content-type') ?? '';
    const statusClass = res.status >= 500 ? String(res.status) : `${String(res.status)[0]}xx`;
    this.answered[statusClass] = (this.answered[statusClass] ?? 0) + 1;
    if (res.status >= 500 && !d.target.declared.has(res.status)) this.fail(d, url, `${res.status} ${res.text.slice(0, 200)}`);
    else if (res.status >= 400 && !type.startsWith('application/problem+json'))
      this.fail(d, url, `${res.status} as ${type || 'no content type'}: ${res.text.slice(0, 100)}`);
    else if (res.status >= 400 && d.method !== 'HEAD' && res.body?.status !== res.status)
      this.fail(d, url, `${res.status} with a problem saying ${res.body?.status}`);
  }

  private fail(d: Draft, url: string, what: string): void {
    const request = `${d.method} ${url.slice(0, 200)}${d.contentType !== undefined ? ` [${d.contentType}]` : ''}`;
    this.failures.push(`seed ${this.seed}, request ${this.sent}: ${request} {${d.notes.join('; ')}} -> ${what}`);
  }

  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    while (s.$ref) s = this.doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] ?? {};
    return s;
  }

  /** A value the schema accepts (as far as the schema and the examples tell). */
  private sample(schema: JsonSchema, name?: string, depth = 0): Json {
    const example = name === undefined ? undefined : this.examples[name];
    if (example) return example();
    const r = this.rng;
    const s = this.resolve(schema);
    if (s.const !== undefined) return s.const as Json;
    if (s.enum) return r.pick(s.enum) as Json;
    const branches = s.anyOf ?? s.oneOf;
    if (branches) return this.sample(r.pick(branches), name, depth);
    const types = Array.isArray(s.type) ? s.type : [s.type ?? 'string'];
    const type = r.pick(types.length > 1 ? types.filter((t) => t !== 'null') : types);
    switch (type) {
      case 'string':
        return s.format === 'date-time' ? new Date(this.slot).toISOString() : s.format === 'uuid' ? this.uuid() : `Fuzz ${r.int(0, 9999)}`;
      case 'integer':
      case 'number': {
        const lo = s.minimum ?? 0;
        return r.int(lo, Math.min(s.maximum ?? lo + 1000, lo + 1000));
      }
      case 'boolean':
        return r.chance(0.5);
      case 'null':
        return null;
      case 'array':
        return depth > 3 ? [] : Array.from({ length: r.int(0, 2) }, () => this.sample(s.items ?? {}, undefined, depth + 1));
      default: {
        const required = new Set(s.required ?? []);
        const props = Object.entries(s.properties ?? {}).filter(([k]) => required.has(k) || r.chance(0.5));
        return Object.fromEntries(props.map(([k, v]) => [k, this.sample(v, k, depth + 1)]));
      }
    }
  }

  /** A site CSV file, one cell of it `hostile` when given. */
  private csv(hostile?: string): string {
    const columns = ['code', 'name', 'protocol', 'sipUri', 'allowedNetworks', 'bandwidthKbps', 'enabled'];
    const rows = Array.from({ length: this.rng.int(1, 3) }, (_, i) => [
      `fz-csv-${i}`,
      `Xã Số ${i}`,
      'sip',
      'sip:r@10.0.0.1',
      '10.1.0.0/16;10.2.0.1',
      '1024',
      'có',
    ]);
    if (hostile !== undefined) rows[this.rng.int(0, rows.length - 1)]![this.rng.int(0, columns.length - 1)] = `"${hostile.replace(/"/g, '""')}"`;
    return [columns, ...rows].map((r) => r.join(',')).join('\r\n');
  }
}
