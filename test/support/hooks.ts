import { startTestPostgres, type TestPostgres } from './postgres';

// One PostgreSQL server for the whole run, started by the first suite that asks for a database:
// suites that need none (unit, PER codec) run on machines without PostgreSQL's server binaries.
let pg: Promise<TestPostgres> | undefined;

export function testPostgres(): Promise<TestPostgres> {
  pg ??= startTestPostgres();
  return pg;
}

/** Root hooks: stop the server, if a suite started one. */
export const mochaHooks = {
  async afterAll() {
    if (pg) await (await pg).stop();
  },
};
