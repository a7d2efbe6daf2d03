// A process that starts an ingestion run and then hangs in its read, beating every 200 ms,
// until the test kills it (test/hostile/ingest-dead-run.test.ts). Argument: a database URL.
import { openPostgres } from '../../shared/db/postgres.js';
import { runIngestion } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';

const knex = openPostgres(process.argv[2]!, 2);
const repo = createRepository(knex);
void runIngestion({ repo, logger: silentLogger, heartbeat: { everySeconds: 0.2, deadAfterSeconds: 3600 } }, 'dump', { dump: 'child' }, async () => {
  process.stdout.write('started\n');
  // Keeps the process alive (the heartbeat timer is unref'd) until it is killed.
  setInterval(() => {}, 1000);
  return new Promise(() => {});
});
