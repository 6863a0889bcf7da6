/**
 * What a caller dialled: `sip:2001@bridge` or, with the PIN inline, `sip:2001*1234@bridge`
 * (room systems often cannot send DTMF before answer, so the PIN rides in the URI).
 */
export interface DialledRoom {
  room: number;
  pin: string | null;
}

/**
 * The room (3–9 digits) and optional PIN (`*` or `#`, then 1–16 digits) in a dialled string, for SIP
 * and H.323 alike. It takes text as the caller meant it: a SIP user part already decoded once by
 * uri-user.ts, an H.323 alias as sent (aliases are never escaped). Nothing is decoded or trimmed
 * here, so `%2A` stays three characters and is no room. ASCII digits only: Arabic-Indic or
 * fullwidth digits would otherwise become a room number through Number().
 */
export function parseDialledRoom(dialled: string): DialledRoom | undefined {
  const m = /^([0-9]{3,9})(?:[*#]([0-9]{1,16}))?$/.exec(dialled);
  if (!m) return undefined;
  return { room: Number(m[1]), pin: m[2] ?? null };
}
