/**
 * A region's name, as a site's directory entry and FREESWITCH_REGIONS both write it (docs/scale.md,
 * "Regions"): lower-case words of letters and digits joined by dashes, at most 64 characters, so that
 * the two compare equal (migration SiteRegion1797206400000 checks the same in the database).
 */
export const REGION_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const REGION_MAX_LENGTH = 64;

export function isRegion(text: string): boolean {
  return text.length <= REGION_MAX_LENGTH && REGION_PATTERN.test(text);
}
