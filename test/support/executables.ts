import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A program the tests run: `envVar` wins outright (pointing it at a missing file means "not
 * installed", so a run can prove the skip path on a machine that has it), then PATH, then the
 * given fallback places.
 */
export function findExecutable(envVar: string, name: string, fallbacks: readonly string[] = []): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return fallbacks.find(isExecutable);
}
