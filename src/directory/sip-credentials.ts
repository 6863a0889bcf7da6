import { createHash } from 'node:crypto';

/** RFC 2617 HA1 = MD5(username ":" realm ":" password): what digest verification needs, never the password. */
export function digestHa1(username: string, realm: string, password: string): string {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest('hex');
}
