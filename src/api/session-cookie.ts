import type { Context } from 'koa';

/**
 * The console's session cookie. HttpOnly: page scripts never see the token. SameSite=Strict: no
 * other site's page makes the browser send it. Secure whenever the request came over HTTPS (as
 * Koa sees it: X-Forwarded-Proto counts only with TRUST_PROXY). Pure but for reading the context.
 */
export const SESSION_COOKIE = 'diemcau_session';

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** Tells the browser to forget the cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', 0, secure);
}

/** The session token of a Cookie header, or undefined when it has none. The first one wins, as browsers send the most specific first. */
export function readSessionCookie(header: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * True when an Origin header names the origin the request was sent to. A browser sends Origin with
 * every cross-site state change, so a foreign one is a forged request whatever else it carries.
 */
export function isOwnOrigin(ctx: Context, origin: string): boolean {
  try {
    return new URL(origin).origin === new URL(`${ctx.protocol}://${ctx.host}`).origin;
  } catch {
    return false;
  }
}
