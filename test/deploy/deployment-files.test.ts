import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { knownVariables, loadConfig } from '../../src/config/env';

/**
 * The deployment files (docker/, docker/systemd/) against the code: they parse, every service is
 * health-checked and restarted, diemcau gets only variables its configuration knows (and every
 * one a deployment needs), and nothing binds all interfaces by default. No Docker needed.
 */

// js-yaml comes with mocha (no typings of its own); only load() is used.
const yaml = require('js-yaml') as { load(text: string): unknown };

const ROOT = join(__dirname, '..', '..', '..');
const DOCKER = join(ROOT, 'docker');
const SYSTEMD = join(DOCKER, 'systemd');
const read = (...parts: string[]) => readFileSync(join(ROOT, ...parts), 'utf8');
const known = new Set(knownVariables);

/** What the diemcau service must be given for a full-stack deployment. */
const REQUIRED_FOR_DEPLOYMENT = [
  'DATABASE_URL',
  'DATA_DIR',
  'HTTP_HOST',
  'HTTP_PORT',
  'SIP_DOMAIN',
  'DRACHTIO_HOST',
  'DRACHTIO_PORT',
  'DRACHTIO_SECRET',
  'FREESWITCH_SERVERS',
  'RTPENGINE_SERVERS',
  'FREESWITCH_CALLBACK_ADDRESS',
  'SOUNDS_DIR',
  'JOIN_TOKEN_SECRET',
  'TIME_ZONE',
  'LOG_FORMAT',
  // browser join needs drachtio's WebSocket URL as soon as the configuration reads it
  ...(known.has('SIP_WS_URL') ? ['SIP_WS_URL'] : []),
];
/** No default could be right for these: compose must refuse to start until docker/.env sets them. */
const EXPLICIT = ['SIP_DOMAIN', 'DRACHTIO_SECRET', 'JOIN_TOKEN_SECRET', ...(known.has('SIP_WS_URL') ? ['SIP_WS_URL'] : [])];
/** All IPv4 interfaces, all IPv6 interfaces, PostgreSQL's "everywhere". */
const WILDCARD = /(^|[^0-9])0\.0\.0\.0([^0-9]|$)|\[::\]|^::$|listen_addresses\s*=\s*'?\*/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/;

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// env files

interface EnvFile {
  values: Map<string, string>;
  /** `# [diemcau]` / `# [stack]` marker lines in docker/.env.example */
  section: Map<string, string>;
}

function parseEnvFile(text: string, name: string): EnvFile {
  const values = new Map<string, string>();
  const section = new Map<string, string>();
  let current = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    if (line.startsWith('#')) {
      const marker = /^#\s*\[([a-z]+)\]/.exec(line);
      if (marker) current = marker[1]!;
      return;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `${name}:${i + 1}: not NAME=value: ${line}`);
    assert.ok(!values.has(m[1]!), `${name}:${i + 1}: ${m[1]} set twice`);
    values.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
    section.set(m[1]!, current);
  });
  return { values, section };
}

// ---------------------------------------------------------------------------------------------
// compose interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
// ${NAME?error}, ${NAME:+alternative}, ${NAME+alternative}

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function references(text: string): { name: string; op: string }[] {
  return [...text.matchAll(REF)].filter((m) => m[0] !== '$$').map((m) => ({ name: (m[1] ?? m[4])!, op: m[2] ?? '' }));
}

function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(REF, (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env.get(name);
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op) {
      case ':-':
        return nonEmpty ? value : arg!;
      case '-':
        return set ? value : arg!;
      case ':?':
        if (!nonEmpty) throw new Error(`required variable ${name} is missing: ${arg}`);
        return value;
      case '?':
        if (!set) throw new Error(`required variable ${name} is missing: ${arg}`);
        return value;
      case ':+':
        return nonEmpty ? arg! : '';
      case '+':
        return set ? arg! : '';
      default:
        return value ?? '';
    }
  });
}

/** Every string in a parsed YAML document (keys too), depth first. */
function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const v of node) strings(v, out);
  else if (isDict(node))
    for (const [k, v] of Object.entries(node)) {
      out.push(k);
      strings(v, out);
    }
  return out;
}

/** A service's environment as a map, from the dictionary or the list form. */
function environmentOf(service: Dict): Map<string, string> {
  const env = service['environment'];
  const out = new Map<string, string>();
  if (Array.isArray(env)) {
    for (const item of env) {
      const [k, ...v] = String(item).split('=');
      out.set(k!, v.join('='));
    }
  } else if (isDict(env)) {
    for (const [k, v] of Object.entries(env)) out.set(k, v === null || v === undefined ? '' : String(v));
  }
  return out;
}

/** Short-syntax volumes as { source, target, readOnly }. */
function volumesOf(service: Dict): { source: string; target: string; readOnly: boolean }[] {
  const list = service['volumes'];
  if (!Array.isArray(list)) return [];
  return list.map((v) => {
    if (isDict(v)) return { source: String(v['source'] ?? ''), target: String(v['target']), readOnly: v['read_only'] === true };
    const parts = String(v).split(':');
    // ${VAR:-default} sources contain a colon of their own: rejoin up to the container path
    const modeIndex = parts.length > 2 && /^(ro|rw|z|Z)(,|$)/.test(parts.at(-1)!) ? parts.length - 1 : parts.length;
    const target = parts[modeIndex - 1]!;
    return { source: parts.slice(0, modeIndex - 1).join(':'), target, readOnly: modeIndex < parts.length && parts.at(-1)!.split(',').includes('ro') };
  });
}

// ---------------------------------------------------------------------------------------------
// systemd units

interface Unit {
  sections: Map<string, Map<string, string[]>>;
  get(section: string, key: string): string[];
}

function parseUnit(text: string, name: string): Unit {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  // backslash-newline continues a line
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      return;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line);
    assert.ok(kv, `${name}:${i + 1}: not Key=value: ${line}`);
    assert.ok(current, `${name}:${i + 1}: ${kv[1]} outside a [section]`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  });
  return { sections, get: (s, k) => sections.get(s)?.get(k) ?? [] };
}

/** `${NAME}` and `$NAME` in Exec lines (systemd expands both from Environment/EnvironmentFile). */
const unitVariables = (line: string) => [...line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => (m[1] ?? m[2])!);

/** Lines that are not comments (# … for shell, env, conf and unit files). */
const activeLines = (text: string) => text.split('\n').filter((l) => !/^\s*[#;]/.test(l));

// ---------------------------------------------------------------------------------------------

// Read in before(): a broken file fails these tests, not the loading of every test file.
let compose!: Dict;
let services!: Record<string, Dict>;
let dotenv!: EnvFile;

/**
 * docker/.env.example with each required empty value filled in, as an operator would; with
 * `defaultsOnly`, nothing but those required values (every optional one takes compose's default).
 */
function filledEnv(defaultsOnly = false): Map<string, string> {
  const samples: Record<string, string> = {
    BRIDGE_ADDRESS: '192.0.2.10',
    SIP_DOMAIN: 'bridge.example.org',
    SIP_WS_URL: 'wss://bridge.example.org:8443',
  };
  const env = defaultsOnly ? new Map<string, string>() : new Map(dotenv.values);
  for (const { name, op } of references(strings(compose).join('\n'))) {
    if (op.endsWith('?') && !env.get(name)) env.set(name, samples[name] ?? `${name.toLowerCase().replace(/_/g, '')}0123456789abcdef`);
  }
  return env;
}

describe('deployment files', () => {
  before(() => {
    const doc = yaml.load(readFileSync(join(DOCKER, 'compose.yaml'), 'utf8'));
    assert.ok(isDict(doc) && isDict(doc['services']), 'docker/compose.yaml has no services');
    compose = doc;
    services = doc['services'] as Record<string, Dict>;
    dotenv = parseEnvFile(readFileSync(join(DOCKER, '.env.example'), 'utf8'), 'docker/.env.example');
  });

  describe('docker/compose.yaml', () => {
    it('has the five services, each with a health check, a restart policy and bounded logs', () => {
      for (const name of ['postgres', 'drachtio', 'freeswitch', 'rtpengine', 'diemcau']) assert.ok(services[name], `service ${name} is missing`);
      for (const [name, s] of Object.entries(services)) {
        const hc = s['healthcheck'];
        assert.ok(isDict(hc) && hc['disable'] !== true, `${name}: no healthcheck`);
        const test = hc['test'];
        assert.ok(
          (typeof test === 'string' && test.trim() !== '') || (Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(String(test[0])) && test.length > 1),
          `${name}: healthcheck.test must run a command`,
        );
        assert.ok(['always', 'unless-stopped', 'on-failure'].includes(String(s['restart'])), `${name}: restart policy is "${String(s['restart'])}"`);
        assert.ok(s['image'] || s['build'], `${name}: neither image nor build`);
      }
    });

    it('builds drachtio-server and FreeSWITCH from Dockerfiles that exist, diemcau from docker/Dockerfile at the root', () => {
      for (const [name, s] of Object.entries(services)) {
        const build = s['build'];
        if (build === undefined) continue;
        assert.ok(isDict(build), `${name}: build must be a mapping with context and dockerfile`);
        const context = join(DOCKER, String(build['context']));
        assert.ok(
          existsSync(join(context, String(build['dockerfile'] ?? 'Dockerfile'))),
          `${name}: no ${String(build['dockerfile'])} in ${String(build['context'])}`,
        );
      }
      const app = services['diemcau']!['build'] as Dict;
      assert.equal(join(DOCKER, String(app['context'])), ROOT);
      assert.equal(app['dockerfile'], 'docker/Dockerfile');
      assert.ok(services['drachtio']!['build'] && services['freeswitch']!['build'], 'drachtio and FreeSWITCH are built by the project');
    });

    it('binds nothing to all interfaces: host networking or loopback-only ports, explicit addresses', () => {
      for (const env of [filledEnv(), filledEnv(true)]) {
        for (const [name, s] of Object.entries(services)) {
          for (const p of (s['ports'] as unknown[] | undefined) ?? []) {
            const spec = isDict(p) ? `${String(p['host_ip'] ?? '')}:${String(p['published'] ?? '')}` : interpolate(String(p), env);
            const host = /^(\[[^\]]+\]|[^:]+):\d/.exec(spec)?.[1];
            assert.ok(host && LOOPBACK.test(host), `${name}: port "${String(isDict(p) ? JSON.stringify(p) : p)}" must name a loopback host address`);
          }
          for (const text of strings(s)) {
            const value = interpolate(text, env);
            assert.ok(!WILDCARD.test(text) && !WILDCARD.test(value), `${name}: "${text}" binds all interfaces`);
          }
        }
        assert.match(interpolate(environmentOf(services['diemcau']!).get('HTTP_HOST') ?? '', env), LOOPBACK);
      }
      // the stack that carries SIP and RTP shares the host network (docker/README.md, "Networking")
      for (const name of ['drachtio', 'freeswitch', 'rtpengine']) assert.equal(services[name]!['network_mode'], 'host', `${name}: network_mode`);
      const pgCommand = strings(services['postgres']!['command']).join(' ');
      assert.match(pgCommand, /listen_addresses=127\.0\.0\.1\b/, 'PostgreSQL must listen on loopback only (its image says *)');
    });

    it('passes diemcau only variables its configuration knows, and every one a deployment needs', () => {
      const raw = environmentOf(services['diemcau']!);
      assert.deepEqual(
        [...raw.keys()].filter((k) => !known.has(k)),
        [],
        'variables src/config/env.ts does not know',
      );
      const env = filledEnv();
      const missing = REQUIRED_FOR_DEPLOYMENT.filter((k) => !raw.has(k) || interpolate(raw.get(k)!, env) === '');
      assert.deepEqual(
        missing,
        [],
        known.has('SIP_WS_URL') && missing.includes('SIP_WS_URL')
          ? 'SIP_WS_URL is in the configuration now: pass it in docker/compose.yaml (the commented line) and document it in docker/.env.example'
          : 'variables a deployment must set',
      );
      // secrets and names have no default: compose refuses to start until docker/.env sets them
      for (const k of EXPLICIT) assert.match(raw.get(k) ?? '', new RegExp(`\\$\\{${k}:\\?`), `${k} must be \${${k}:?…}`);
    });

    it('gives diemcau a configuration that loads: PostgreSQL, drachtio, FreeSWITCH and rtpengine on loopback', () => {
      const env = filledEnv();
      const appEnv: Record<string, string> = {};
      for (const [k, v] of environmentOf(services['diemcau']!)) appEnv[k] = interpolate(v, env);
      const config = loadConfig(appEnv);
      assert.ok('url' in config.database, 'DATABASE_URL is set');
      assert.match(config.database.url, /^postgres:\/\/diemcau:[^@]+@127\.0\.0\.1:\d+\/diemcau$/);
      assert.equal(config.http.host, '127.0.0.1');
      assert.equal(config.sip.drachtio?.host, '127.0.0.1');
      assert.notEqual(config.sip.drachtio?.secret, 'cymru');
      assert.equal(config.freeswitch.length, 1);
      assert.equal(config.freeswitch[0]!.host, '127.0.0.1');
      assert.deepEqual(
        config.rtpengine.map((r) => r.host),
        ['127.0.0.1'],
      );
      assert.equal(config.media.callbackAddress, '127.0.0.1');
      assert.ok(config.joinTokenSecret, 'JOIN_TOKEN_SECRET');
    });

    it('shares the prompts volume at SOUNDS_DIR: diemcau writes, FreeSWITCH reads at the same path', () => {
      const soundsDir = environmentOf(services['diemcau']!).get('SOUNDS_DIR')!;
      assert.ok(posix.isAbsolute(soundsDir), 'SOUNDS_DIR is an absolute path in the container');
      const app = volumesOf(services['diemcau']!).find((v) => v.target === soundsDir);
      assert.ok(app && !app.readOnly && !app.source.includes('/'), 'diemcau mounts a named volume, writable, at SOUNDS_DIR');
      const fs = volumesOf(services['freeswitch']!).find((v) => v.source === app.source);
      assert.ok(fs, `FreeSWITCH mounts the ${app.source} volume`);
      assert.equal(fs.target, soundsDir);
      assert.ok(fs.readOnly, 'FreeSWITCH only reads the prompts');
    });

    it("mounts the project's sip/ and dialplans/freeswitch read-only, and declares every named volume", () => {
      const sip = volumesOf(services['drachtio']!).find((v) => v.source === '../sip');
      assert.ok(sip?.readOnly, 'drachtio mounts ../sip read-only');
      const fsConf = volumesOf(services['freeswitch']!).find((v) => v.source === '../dialplans/freeswitch');
      assert.ok(fsConf?.readOnly, 'FreeSWITCH mounts ../dialplans/freeswitch read-only');
      assert.ok(existsSync(join(ROOT, 'sip', 'drachtio.conf.xml')) && existsSync(join(ROOT, 'dialplans', 'freeswitch', 'freeswitch.xml')));
      const declared = new Set(Object.keys((compose['volumes'] as Dict | undefined) ?? {}));
      for (const [name, s] of Object.entries(services)) {
        for (const v of volumesOf(s)) {
          if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v.source)) assert.ok(declared.has(v.source), `${name}: volume ${v.source} is not declared`);
        }
      }
    });
  });

  describe('docker/.env.example', () => {
    it('documents every variable compose reads', () => {
      const referenced = new Set(references(strings(compose).join('\n')).map((r) => r.name));
      assert.deepEqual([...referenced].filter((n) => !dotenv.values.has(n)).sort(), []);
    });

    it('marks the [diemcau] variables, all known to the configuration and all passed to diemcau', () => {
      const forApp = [...dotenv.values.keys()].filter((k) => dotenv.section.get(k) === 'diemcau');
      const forStack = [...dotenv.values.keys()].filter((k) => dotenv.section.get(k) === 'stack');
      assert.ok(forApp.length > 0 && forStack.length > 0, 'both sections, [diemcau] and [stack], exist');
      assert.deepEqual(
        [...dotenv.values.keys()].filter((k) => !['diemcau', 'stack'].includes(dotenv.section.get(k) ?? '')),
        [],
        'every variable is in a section',
      );
      assert.deepEqual(
        forApp.filter((k) => !known.has(k)),
        [],
        '[diemcau] variables src/config/env.ts does not know',
      );
      const appEnvText = [...environmentOf(services['diemcau']!).values()].join('\n');
      const passed = new Set(references(appEnvText).map((r) => r.name));
      assert.deepEqual(
        forApp.filter((k) => !passed.has(k)),
        [],
        '[diemcau] variables compose never passes to diemcau',
      );
      assert.deepEqual(
        forStack.filter((k) => environmentOf(services['diemcau']!).has(k)),
        [],
        "[stack] variables are not the app's",
      );
    });

    it('ships no usable secret: every required variable is empty, so compose stops until it is set', () => {
      const required = references(strings(compose).join('\n'))
        .filter((r) => r.op.endsWith('?'))
        .map((r) => r.name);
      assert.ok(required.includes('POSTGRES_PASSWORD') && required.includes('FREESWITCH_ESL_PASSWORD'));
      for (const name of new Set(required)) assert.equal(dotenv.values.get(name), '', `${name} must be empty in .env.example`);
      assert.throws(() => {
        for (const s of strings(compose)) interpolate(s, dotenv.values);
      }, /required variable/);
    });

    it('defaults nothing to all interfaces', () => {
      for (const [k, v] of dotenv.values) assert.ok(!WILDCARD.test(v), `${k}=${v}`);
      assert.match(dotenv.values.get('HTTP_HOST') ?? '127.0.0.1', LOOPBACK);
    });
  });

  describe('docker images', () => {
    it("start drachtio-server and FreeSWITCH from their maintainers' images, keep no build recipe here, run as non-root", () => {
      for (const file of ['drachtio.Dockerfile', 'freeswitch.Dockerfile']) {
        const text = readFileSync(join(DOCKER, file), 'utf8');
        assert.equal((text.match(/^FROM\s/gm) ?? []).length, 1, `${file}: one stage, from the published image`);
        assert.match(text, /^FROM \$\{[A-Z_]+_IMAGE\}$/m, `${file}: the image is a build argument (pin it by digest)`);
        assert.doesNotMatch(text, /git (clone|fetch)|\bmake\b|configure|bootstrap/, `${file}: builds nothing`);
        const user = /^USER\s+(\S+)/m.exec(text)?.[1];
        assert.ok(user && user !== 'root' && user !== '0', `${file}: runs as a non-root USER`);
      }
      const recipes = readFileSync(join(DOCKER, 'native-install.md'), 'utf8');
      assert.doesNotMatch(recipes, /git clone[^\n]*(drachtio-server|freeswitch|sofia-sip|spandsp)/i, 'no build recipe for them in the native install');
      const sources = readdirSync(DOCKER, { recursive: true, encoding: 'utf8' }).filter(
        (f) => /\.(c|cc|cpp|h|hpp|o|so|a)$/.test(f) || (statSync(join(DOCKER, f)).isFile() && statSync(join(DOCKER, f)).size > 200_000),
      );
      assert.deepEqual(sources, [], 'docker/ holds no third-party source or binaries');
    });

    it('copy only entry points that exist, and keep docker/.env out of every build context', () => {
      for (const file of ['drachtio.Dockerfile', 'freeswitch.Dockerfile', 'rtpengine.Dockerfile']) {
        for (const m of readFileSync(join(DOCKER, file), 'utf8').matchAll(/^COPY (.+)$/gm)) {
          const args = m[1]!.split(/\s+/);
          if (args.some((a) => a.startsWith('--from'))) continue;
          for (const source of args.filter((a) => !a.startsWith('--')).slice(0, -1)) {
            assert.ok(existsSync(join(DOCKER, source)), `${file}: COPY ${source} does not exist`);
            assert.ok(statSync(join(DOCKER, source)).mode & 0o100 || /--chmod=0?7/.test(m[1]!), `${file}: ${source} must end up executable`);
          }
        }
      }
      const ignore = readFileSync(join(DOCKER, '.dockerignore'), 'utf8');
      assert.match(ignore, /^\*$/m, 'docker/.dockerignore starts from nothing');
      assert.doesNotMatch(ignore, /^!\.env/m);
      const appIgnore = readFileSync(join(DOCKER, 'Dockerfile.dockerignore'), 'utf8');
      assert.match(appIgnore, /^\*$/m);
      assert.doesNotMatch(appIgnore, /^!(docker|\.env|node_modules|dist)\b/m);
    });

    it('entry points bind control ports to loopback only', () => {
      for (const file of readdirSync(DOCKER).filter((f) => f.endsWith('-entrypoint.sh'))) {
        // a line that refuses an address (it calls die) may name the wildcard
        for (const line of activeLines(readFileSync(join(DOCKER, file), 'utf8')).filter((l) => !/\bdie\b/.test(l))) {
          assert.ok(!WILDCARD.test(line), `${file}: ${line.trim()}`);
        }
      }
      assert.match(readFileSync(join(DOCKER, 'drachtio-entrypoint.sh'), 'utf8'), /--address 127\.0\.0\.1\b/);
      assert.match(readFileSync(join(DOCKER, 'freeswitch-entrypoint.sh'), 'utf8'), /esl_listen_ip=127\.0\.0\.1\b/);
      assert.match(readFileSync(join(DOCKER, 'rtpengine-entrypoint.sh'), 'utf8'), /--listen-ng="?127\.0\.0\.1:/);
    });
  });

  describe('systemd units (docker/systemd)', () => {
    const unitFiles = readdirSync(SYSTEMD).filter((f) => f.endsWith('.service'));
    const envExample = (environmentFile: string) => join(SYSTEMD, `${posix.basename(environmentFile)}.example`);

    it('exist for diemcau, drachtio-server and FreeSWITCH', () => {
      assert.deepEqual(unitFiles.sort(), ['diemcau.service', 'drachtio.service', 'freeswitch.service']);
    });

    for (const file of ['diemcau.service', 'drachtio.service', 'freeswitch.service']) {
      it(`${file}: parses, with an absolute ExecStart, a non-root User and an EnvironmentFile whose example exists`, () => {
        const unit = parseUnit(readFileSync(join(SYSTEMD, file), 'utf8'), file);
        for (const s of ['Unit', 'Service', 'Install']) assert.ok(unit.sections.has(s), `[${s}]`);
        const exec = unit.get('Service', 'ExecStart');
        assert.equal(exec.length, 1, 'one ExecStart');
        for (const line of [...exec, ...unit.get('Service', 'ExecStartPre')]) {
          const program = line.replace(/^[-@:+!]+/, '').split(/\s+/)[0]!;
          assert.ok(isAbsolute(program), `${program} must be an absolute path`);
        }
        const user = unit.get('Service', 'User')[0];
        assert.ok(user && user !== 'root' && user !== '0', 'User= is set and not root');
        const envFiles = unit.get('Service', 'EnvironmentFile').map((f) => f.replace(/^-/, ''));
        assert.equal(envFiles.length, 1, 'one EnvironmentFile');
        assert.match(envFiles[0]!, /^\/etc\/diemcau\/[a-z]+\.env$/);
        assert.ok(existsSync(envExample(envFiles[0]!)), `docker/systemd/${posix.basename(envFiles[0]!)}.example`);
        assert.ok(unit.get('Install', 'WantedBy').includes('multi-user.target'));
        assert.equal(unit.get('Service', 'NoNewPrivileges')[0], 'yes');
        assert.equal(unit.get('Service', 'ProtectSystem')[0], 'strict');
        assert.equal(unit.get('Service', 'PrivateTmp')[0], 'yes');
        for (const line of activeLines(readFileSync(join(SYSTEMD, file), 'utf8'))) assert.ok(!WILDCARD.test(line), `${file}: ${line.trim()}`);

        // every variable an Exec line uses comes from its EnvironmentFile
        const env = parseEnvFile(readFileSync(envExample(envFiles[0]!), 'utf8'), posix.basename(envFiles[0]!));
        const used = [...new Set([...unit.sections.get('Service')!].filter(([k]) => k.startsWith('Exec')).flatMap(([, v]) => v.flatMap(unitVariables)))];
        assert.deepEqual(
          used.filter((v) => !env.values.has(v)),
          [],
          `variables ${file} uses that ${posix.basename(envFiles[0]!)} does not set`,
        );
        if (file === 'diemcau.service')
          assert.deepEqual(
            used.filter((v) => !known.has(v)),
            [],
            'variables the configuration does not know',
          );
      });
    }

    it('diemcau.service runs as diemcau from /etc/diemcau/diemcau.env and may write only DATA_DIR, SOUNDS_DIR and RECORDINGS_DIR', () => {
      const unit = parseUnit(read('docker', 'systemd', 'diemcau.service'), 'diemcau.service');
      assert.equal(unit.get('Service', 'User')[0], 'diemcau');
      assert.deepEqual(unit.get('Service', 'EnvironmentFile'), ['/etc/diemcau/diemcau.env']);
      const env = parseEnvFile(read('docker', 'systemd', 'diemcau.env.example'), 'diemcau.env.example');
      const writable = unit.get('Service', 'ReadWritePaths').flatMap((l) => l.split(/\s+/));
      assert.deepEqual(writable.sort(), [env.values.get('DATA_DIR'), env.values.get('SOUNDS_DIR'), env.values.get('RECORDINGS_DIR')].sort());
      assert.equal(unit.get('Service', 'CapabilityBoundingSet')[0], '');
    });

    it('diemcau.env.example: only known variables, every one a deployment needs, and a configuration that loads', () => {
      const env = parseEnvFile(read('docker', 'systemd', 'diemcau.env.example'), 'diemcau.env.example');
      assert.deepEqual(
        [...env.values.keys()].filter((k) => !known.has(k)),
        [],
      );
      assert.deepEqual(
        REQUIRED_FOR_DEPLOYMENT.filter((k) => !env.values.get(k)),
        [],
      );
      const filled: Record<string, string> = {};
      for (const [k, v] of env.values) filled[k] = v.replaceAll('CHANGE-ME', 'deadbeef0123456789abcdef');
      const config = loadConfig(filled);
      assert.equal(config.http.host, '127.0.0.1');
      assert.equal(config.sip.drachtio?.host, '127.0.0.1');
      assert.deepEqual(
        config.freeswitch.map((f) => f.host),
        ['127.0.0.1'],
      );
      assert.deepEqual(
        config.rtpengine.map((r) => r.host),
        ['127.0.0.1'],
      );
    });

    it('agree with each other on ports: drachtio admin, FreeSWITCH event socket, rtpengine ng', () => {
      const env = parseEnvFile(read('docker', 'systemd', 'diemcau.env.example'), 'diemcau.env.example').values;
      const drachtio = read('docker', 'systemd', 'drachtio.service');
      assert.match(drachtio, new RegExp(`--address 127\\.0\\.0\\.1 --port ${env.get('DRACHTIO_PORT')}\\b`));
      const esl = /^127\.0\.0\.1:(\d+):/.exec(env.get('FREESWITCH_SERVERS')!)?.[1];
      const vars = read('docker', 'systemd', 'freeswitch-vars.local.xml');
      assert.match(vars, /data="esl_listen_ip=127\.0\.0\.1"/);
      assert.match(vars, new RegExp(`data="esl_listen_port=${esl}"`));
      assert.match(vars, /cmd="env-set" data="esl_password=\$FREESWITCH_ESL_PASSWORD"/);
      const fsEnv = parseEnvFile(read('docker', 'systemd', 'freeswitch.env.example'), 'freeswitch.env.example');
      for (const m of vars.replace(/<!--[\s\S]*?-->/g, '').matchAll(/cmd="env-set" data="[a-z_]+=\$([A-Z_]+)"/g))
        assert.ok(fsEnv.values.has(m[1]!), `freeswitch.env.example sets ${m[1]}`);
      const rtpengine = read('docker', 'systemd', 'rtpengine.conf');
      const ng = /^listen-ng\s*=\s*(\S+)$/m.exec(rtpengine)?.[1];
      assert.equal(ng, env.get('RTPENGINE_SERVERS'));
      assert.match(rtpengine, /^table\s*=\s*-1$/m);
      const iface = /^interface\s*=\s*(\S+)$/m.exec(rtpengine)?.[1] ?? '';
      assert.ok(iface && iface !== 'any' && !WILDCARD.test(iface), `rtpengine interface "${iface}"`);
      for (const line of activeLines(rtpengine)) assert.ok(!WILDCARD.test(line), line);
    });
  });

  describe('shipped defaults stay on loopback', () => {
    it('sip/drachtio.conf.xml: admin and every active contact on 127.0.0.1', () => {
      const xml = read('sip', 'drachtio.conf.xml').replace(/<!--[\s\S]*?-->/g, '');
      assert.match(xml, /<admin [^>]*>127\.0\.0\.1<\/admin>/);
      const contacts = [...xml.matchAll(/<contact>([^<]+)<\/contact>/g)].map((m) => m[1]!);
      assert.ok(contacts.length > 0);
      for (const c of contacts) assert.match(c, /^sips?:127\.0\.0\.1:\d+;/, c);
    });

    it('dialplans/freeswitch/vars.xml: event socket and SIP profile on 127.0.0.1', () => {
      const vars = read('dialplans', 'freeswitch', 'vars.xml');
      for (const v of ['esl_listen_ip', 'mrf_ip']) assert.match(vars, new RegExp(`data="${v}=127\\.0\\.0\\.1"`), v);
    });
  });
});
