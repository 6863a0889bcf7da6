/**
 * Tokenizer for the ASN.1 notation used by the ITU-T H.225/H.245/H.235 modules.
 * Comments follow X.680: `--` runs to the next `--` or the end of the line (the modules rely
 * on the first form, e.g. "SEQUENCE-- comment --{"), and `/* ... *\/` blocks are skipped.
 */
export type TokenKind = 'word' | 'number' | 'string' | 'punct';
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
}

const PUNCT = ['::=', '...', '..', '[[', ']]', '{', '}', '(', ')', ',', '^', '|', '&', '.', ';', '[', ']', '<', '>', '@', '!', ':'];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && src[i + 1] === '-') {
      i += 2;
      while (i < n && src[i] !== '\n' && !(src[i] === '-' && src[i + 1] === '-')) i++;
      if (src[i] === '-') i += 2;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= n) throw new Error(`line ${line}: unterminated string`);
        if (src[j] === '"') {
          if (src[j + 1] === '"') {
            text += '"';
            j += 2;
            continue;
          }
          break;
        }
        text += src[j];
        j++;
      }
      out.push({ kind: 'string', text, line });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[0-9]/.test(src[j]!)) j++;
      out.push({ kind: 'number', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i + 1;
      // A hyphen belongs to the word only when followed by a letter/digit (never "--").
      while (j < n && (/[A-Za-z0-9]/.test(src[j]!) || (src[j] === '-' && /[A-Za-z0-9]/.test(src[j + 1] ?? '')))) j++;
      out.push({ kind: 'word', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    const p = PUNCT.find((s) => src.startsWith(s, i));
    if (!p) throw new Error(`line ${line}: unexpected character ${JSON.stringify(c)}`);
    out.push({ kind: 'punct', text: p, line });
    i += p.length;
  }
  return out;
}
