import pino, { type Logger } from 'pino';
import type { Config } from './config/env';

export type { Logger };

/** JSON lines by default; `LOG_FORMAT=pretty` for a terminal (pino-pretty is a dev dependency). */
export function createLogger(log: Config['log']): Logger {
  if (log.format === 'pretty') {
    return pino({
      level: log.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino({ level: log.level });
}

export const silentLogger: Logger = pino({ level: 'silent' });
