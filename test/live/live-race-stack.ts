import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { systemClock } from '../../shared/clock.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { appOver } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { buildLiveSeason, storeLiveLaps } from '../ingest/live/live-race.js';

export const postgres = backends.find((b) => b.name === 'postgres')!;

export interface LiveRaceStack {
  db: Awaited<ReturnType<typeof postgres.open>>;
  repo: Repository;
  server: DevServer;
  /** The stored race (test/ingest/live/live-race.ts: 2024 R1, four cars, 12 laps). */
  raceId: number;
  close(): Promise<void>;
}

/**
 * The stack a user replays a race on: a scratch PostgreSQL database (LISTEN/NOTIFY) holding a
 * small stored race, and the dev server over it on the wall clock (the replay's own clock
 * runs from it), as `npm start` serves.
 */
export async function startLiveRaceStack(o: { dashboardDir?: string } = {}): Promise<LiveRaceStack> {
  const db = await postgres.open();
  const repo = createRepository(db.knex);
  const s = await buildLiveSeason(repo);
  await storeLiveLaps(repo, s);
  const server = await startDevServer({ app: appOver(db, { DATABASE_URL: db.url! }), clock: systemClock, port: 0, ...o });
  return {
    db, repo, server, raceId: s.races[0]!.id,
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}
