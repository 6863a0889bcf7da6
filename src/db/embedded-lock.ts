import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite keeps the database in the memory of one process; a second process opening the same directory
 * would not see the first one's writes and could corrupt the files. One process at a time, then.
 */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by process ${pid}; stop it first (or set DATABASE_URL to share a PostgreSQL server between processes)`);
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

/** Takes the directory's lock; returns the function that releases it. */
export function lockEmbeddedDatabase(dir: string): () => void {
  const file = join(dir, 'diemcau.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) throw new EmbeddedDatabaseBusyError(dir, owner);
      rmSync(file, { force: true }); // left by a process that died
    }
  }
  throw new Error(`could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
