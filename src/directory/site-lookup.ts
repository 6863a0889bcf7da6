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

/** The site with this id, enabled or not. */
export function siteById(ds: DataSource, id: string): Promise<Site | null> {
  return ds.manager.findOneBy(SiteEntity, { id });
}

/** The site that signs in with this SIP username, enabled or not (the caller decides what a disabled one gets). */
export function siteBySipUsername(ds: DataSource, username: string): Promise<Site | null> {
  return ds.manager.findOneBy(SiteEntity, { sipUsername: username });
}

/** Whether an enabled site signs in with this SIP username. */
export async function isSiteUsername(ds: DataSource, user: string): Promise<boolean> {
  const rows: unknown[] = await ds.query(`SELECT 1 FROM site WHERE sip_username = $1 AND enabled LIMIT 1`, [user]);
  return rows.length > 0;
}
