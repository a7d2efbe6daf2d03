import { afterAll, beforeAll } from 'vitest';
import { createRepository } from '../../shared/repository/index.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { backends } from '../helpers/databases.js';
import { emptier } from '../helpers/emptier.js';
import { repositoryContract } from './contract.js';

/** One contract, three implementations: in memory, embedded PGlite, a real PostgreSQL. */
repositoryContract('the in-memory repository', async () => ({ repo: createMemoryRepository(), close: async () => undefined }));

// Migrating a database costs seconds (a PGlite clone about two): each SQL backend gets one
// migrated database per run, emptied before every test.
for (const backend of backends) {
  let db: Awaited<ReturnType<typeof backend.open>> | undefined;
  let empty: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    db = await backend.open();
    empty = await emptier(db.knex);
  });
  afterAll(async () => db?.close());

  repositoryContract(
    backend.name,
    async () => {
      await empty();
      return { repo: createRepository(db!.knex), close: async () => undefined };
    },
    { skip: backend.skip },
  );
}
