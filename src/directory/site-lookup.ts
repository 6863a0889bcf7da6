import type { DataSource } from 'typeorm';
import { SiteEntity, type Site } from './site.entity';

/**
 * The enabled site whose allowed networks contain `ip`, the most specific network winning; how a room
 * system without credentials is recognised by the address it calls from.
 */
export async function siteForSource(ds: DataSource, ip: string): Promise<Site | null> {
  const bare = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const rows: { id: string }[] = await ds.query(
    `SELECT s.id FROM site s, unnest(s.allowed_networks) AS n(net)
      WHERE s.enabled AND $1::inet <<= n.net::cidr
      ORDER BY masklen(n.net::cidr) DESC LIMIT 1`,
    [bare],
  );
  const id = rows[0]?.id;
  return id ? ds.manager.findOneBy(SiteEntity, { id }) : null;
}
