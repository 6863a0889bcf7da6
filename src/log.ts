import pino, { type Logger } from 'pino';
import type { Config } from './config/env';

export type { Logger };

/**
 * JSON lines by default; `LOG_FORMAT=pretty` for a terminal (pino-pretty is a dev dependency).
 * Commands whose standard output is their result log to standard error (fd 2).
 */
export function createLogger(log: Config['log'], fd: 1 | 2 = 1): Logger {
  if (log.format === 'pretty') {
    return pino({
      level: log.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', destination: fd } },
    });
  }
  return pino({ level: log.level }, pino.destination(fd));
}

export const silentLogger: Logger = pino({ level: 'silent' });
