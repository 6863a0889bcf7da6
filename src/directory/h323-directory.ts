import type { DataSource } from 'typeorm';
import { unstorableText } from '../db/values';
import type { AliasDirectory } from '../h323';

/** The gatekeeper's view of the site directory: enabled sites by H.323 alias (case-insensitive). */
export function siteAliasDirectory(ds: DataSource): AliasDirectory {
  return {
    async lookupAlias(alias) {
      // An alias arrives as the endpoint encoded it (a BMPString may carry U+0000 or half a
      // surrogate pair); no site can have one the database refuses, so there is nothing to look up.
      if (unstorableText(alias)) return null;
      const rows = (await ds.query(`SELECT id, name, allowed_networks FROM site WHERE enabled AND lower(h323_alias) = lower($1) LIMIT 1`, [alias])) as {
        id: string;
        name: string;
        allowed_networks: string[];
      }[];
      const row = rows[0];
      return row ? { siteId: row.id, name: row.name, allowedNetworks: row.allowed_networks } : null;
    },
  };
}
