import { startTestPostgres, type TestPostgres } from './postgres';

let pg: TestPostgres | undefined;

/** Root hooks: one PostgreSQL server for the whole run. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    pg = await startTestPostgres();
  },
  async afterAll() {
    await pg?.stop();
  },
};

export function testPostgres(): TestPostgres {
  if (!pg) throw new Error('the test PostgreSQL server is not running (root hook missing)');
  return pg;
}
