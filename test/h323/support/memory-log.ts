/** A pino logger that keeps its records in memory, so tests can check what a server logged. */
import pino from 'pino';
import type { Logger } from '../../../src/log';

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

export function memoryLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        records.push(JSON.parse(line) as LogRecord);
      },
    },
  );
  return { log, records };
}
