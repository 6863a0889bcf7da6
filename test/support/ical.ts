import assert from 'node:assert/strict';

/** A minimal iCalendar reader for tests: enough to check what the bridge writes. */

/** RFC 5545 §3.1 in reverse: CRLF followed by one space or tab is removed. */
export function unfold(text: string): string[] {
  assert.ok(text.endsWith('\r\n'), 'the last line ends with CRLF');
  assert.ok(!/[^\r]\n|\r[^\n]/.test(text), 'every line break is CRLF');
  return text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .slice(0, -1);
}

/** TEXT value escapes undone (§3.3.11). */
export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** The properties of the file's one VEVENT, by name (parameters dropped). */
export function eventProperties(text: string): Map<string, string> {
  const lines = unfold(text);
  const begin = lines.indexOf('BEGIN:VEVENT');
  const end = lines.indexOf('END:VEVENT');
  assert.ok(begin > 0 && end > begin, 'one VEVENT inside the VCALENDAR');
  const props = new Map<string, string>();
  for (const line of lines.slice(begin + 1, end)) {
    const colon = line.indexOf(':');
    props.set(line.slice(0, colon).split(';')[0]!, line.slice(colon + 1));
  }
  return props;
}
