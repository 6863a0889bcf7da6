/** SQLSTATE codes we turn into domain errors. */
export const SqlState = {
  uniqueViolation: '23505',
  exclusionViolation: '23P01',
  foreignKeyViolation: '23503',
  /** A referenced row an ON DELETE RESTRICT key protects: PostgreSQL 18 and PGlite; older servers say 23503. */
  restrictViolation: '23001',
  checkViolation: '23514',
} as const;

interface PgLikeError {
  code?: string;
  constraint?: string;
}

/** TypeORM wraps driver errors in QueryFailedError and copies code/constraint onto it (pg and PGlite alike). */
export function pgError(err: unknown): PgLikeError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as PgLikeError & { driverError?: PgLikeError };
  const code = e.code ?? e.driverError?.code;
  if (typeof code !== 'string') return undefined;
  const constraint = e.constraint ?? e.driverError?.constraint;
  return constraint ? { code, constraint } : { code };
}

export function isSqlState(err: unknown, code: string, constraint?: string): boolean {
  const e = pgError(err);
  return !!e && e.code === code && (constraint === undefined || e.constraint === constraint);
}
