/**
 * The gatekeeper's view of the site directory: which site an H.323 alias (site.h323_alias, or a
 * dialled-digits number) belongs to. A port, so the gatekeeper runs and is tested without the
 * database; the application supplies an implementation backed by the `site` table.
 */
export interface DirectorySite {
  readonly siteId: string;
  readonly name: string;
  /** CIDR networks the site may register from; empty: anywhere. */
  readonly allowedNetworks: readonly string[];
}

export interface AliasDirectory {
  /** The enabled site owning `alias` (an h323-ID or dialled digits, as the endpoint sent it), or null. */
  lookupAlias(alias: string): Promise<DirectorySite | null>;
}
