import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './harness';

/** The number sipp dials to reach FreeSWITCH's conference with no app in between. */
export const BENCH_EXTENSION = 'bench';

/**
 * A copy of the project's FreeSWITCH configuration (dialplans/freeswitch, which stays untouched)
 * whose mrf context also answers INVITEs for `bench` and runs `conference bench@<profile>`, so sipp
 * can call FreeSWITCH directly. Everything else (modules, sessions-per-second, profiles) is the
 * project's own. Returns the directory for startFreeswitch({ configDir }) and its cleanup.
 */
export function benchFreeswitchConfig(profile: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-bench-fsconf-'));
  cpSync(join(repoRoot(), 'dialplans', 'freeswitch'), dir, { recursive: true });
  const dialplan = join(dir, 'dialplan', 'mrf.xml');
  const xml = readFileSync(dialplan, 'utf8');
  const marker = '<extension name="reject">';
  if (!xml.includes(marker)) throw new Error(`${dialplan}: no "reject" extension to insert the bench extension before`);
  const extension = [
    `<extension name="bench_conference">`,
    `      <condition field="destination_number" expression="^${BENCH_EXTENSION}$">`,
    `        <action application="answer"/>`,
    `        <action application="conference" data="bench@${profile}"/>`,
    `      </condition>`,
    `    </extension>`,
    `    ${marker}`,
  ].join('\n');
  writeFileSync(dialplan, xml.replace(marker, extension));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** sessions-per-second and max-sessions as configured in the project's switch.conf.xml. */
export function freeswitchLimits(): { sps: string; maxSessions: string } {
  const xml = readFileSync(join(repoRoot(), 'dialplans', 'freeswitch', 'autoload_configs', 'switch.conf.xml'), 'utf8');
  const param = (name: string) => new RegExp(`name="${name}"\\s+value="([^"]+)"`).exec(xml)?.[1] ?? 'default';
  return { sps: param('sessions-per-second'), maxSessions: param('max-sessions') };
}
