import type { MessageKey } from './i18n';

/**
 * "Sign in as a site": a room system's SIP credentials from the directory, typed into the page.
 * The mode and the username are remembered on this computer (a commune's laptop signs in as the
 * same site every time); the password never is — it lives in the form and in the call only.
 */

/** Who the page joins as: a guest (name, PIN, join token) or a directory site (SIP credentials). */
export type JoinMode = 'guest' | 'site';

const MODE_KEY = 'diemcau.mode';
const USERNAME_KEY = 'diemcau.siteUser';
/** The directory's rule for SIP usernames (src/directory/site.schema.ts). */
const SIP_USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

export interface SiteLoginErrors {
  username?: MessageKey;
  password?: MessageKey;
}

export function checkSiteLogin(username: string, password: string): SiteLoginErrors {
  const errors: SiteLoginErrors = {};
  if (!username) errors.username = 'username.required';
  else if (!SIP_USERNAME.test(username)) errors.username = 'username.invalid';
  if (!password) errors.password = 'password.required';
  return errors;
}

export function storedMode(): JoinMode {
  return read(MODE_KEY) === 'site' ? 'site' : 'guest';
}

export function storedUsername(): string {
  return read(USERNAME_KEY) ?? '';
}

export function rememberMode(mode: JoinMode): void {
  write(MODE_KEY, mode);
}

export function rememberUsername(username: string): void {
  write(USERNAME_KEY, username);
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled: nothing was remembered
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode: remembered for this page only.
  }
}
