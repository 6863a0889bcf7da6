/** The rows of an UPDATE/DELETE … RETURNING: node-pg answers them through TypeORM as [rows, count]. */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && Array.isArray(result[0])) return result[0] as T[];
  return (result as T[]) ?? [];
}
