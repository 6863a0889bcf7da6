/**
 * What a caller dialled: `sip:2001@bridge` or, with the PIN inline, `sip:2001*1234@bridge`
 * (room systems often cannot send DTMF before answer, so the PIN rides in the URI).
 */
export interface DialledRoom {
  room: number;
  pin: string | null;
}

export function parseDialledRoom(user: string | undefined): DialledRoom | undefined {
  if (!user) return undefined;
  const m = /^(\d{3,9})(?:[*#](\d{1,16}))?$/.exec(decodeURIComponent(user).trim());
  if (!m) return undefined;
  return { room: Number(m[1]), pin: m[2] ?? null };
}
