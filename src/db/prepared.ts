import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Runs `text` as a named prepared statement: PostgreSQL parses and plans it once per connection of the
 * pool instead of on every call, which for the registrar's refresh (a CTE of three statements) was
 * more than half of what the database spent on each REGISTER. Only for statements whose text never
 * changes (the name stands for it). The embedded database has no connections to prepare on: there
 * it is a plain query.
 */
export async function preparedQuery<Row>(ds: DataSource, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const pool = (ds.driver as PostgresDriver).master as unknown;
  if (!(pool instanceof Pool)) return (await ds.query(text, values)) as Row[];
  return (await pool.query({ name, text, values })).rows as Row[];
}
