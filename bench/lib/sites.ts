import type { DataSource } from 'typeorm';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { sippAuthField } from '../../test/support/sipp';

/**
 * The bench's directory: sites bench-1 … bench-N with SIP credentials bench-<n> / pw-<n> (the same
 * users bench/kamailio.cfg and the bare registrar know), created through diemcau's SiteDirectory
 * (HA1 for the realm, audit row), a few at a time.
 */

export const benchUser = (n: number) => `bench-${n}`;
export const benchPassword = (n: number) => `pw-${n}`;

export async function createBenchSites(
  ds: DataSource,
  realm: string,
  count: number,
  extra: (n: number) => { sipUri?: string } = () => ({}),
): Promise<string[]> {
  const dir = new SiteDirectory(ds, realm);
  const ids: string[] = new Array(count);
  const batch = 10;
  for (let i = 1; i <= count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i + 1) }, async (_, k) => {
        const n = i + k;
        const site = await dir.create(
          {
            code: benchUser(n),
            name: `Xã thử ${n}`,
            protocol: 'sip',
            sipUsername: benchUser(n),
            sipPassword: benchPassword(n),
            allowedNetworks: [],
            enabled: true,
            ...extra(n),
          },
          cliActor,
        );
        ids[n - 1] = site.id;
      }),
    );
  }
  return ids;
}

/** sipp -inf rows for bench/scenarios/register.xml: user, then the [authentication] keyword. */
export function registerCsv(count: number): string[][] {
  return Array.from({ length: count }, (_, i) => [benchUser(i + 1), sippAuthField(benchUser(i + 1), benchPassword(i + 1))]);
}
