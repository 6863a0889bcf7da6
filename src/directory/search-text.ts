/**
 * Folds Vietnamese text to lower-case ASCII for searching: "Bờ Ngoong" → "bo ngoong", "Đắk" → "dak".
 * Operators type names without diacritics as often as with them.
 */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
