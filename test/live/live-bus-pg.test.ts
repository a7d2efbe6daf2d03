import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLiveBus } from '../../shared/live/create-live-bus.js';
import { createInProcessLiveBus, type LiveEvent } from '../../shared/live/live-bus.js';
import { createPgLiveBus, LIVE_CHANNEL, type PgLiveBus } from '../../shared/live/pg-live-bus.js';
import { silentLogger } from '../../shared/log/logger.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { createScratchDatabase } from '../helpers/databases.js';
import { requirePostgres } from '../helpers/settings.js';

const pgReq = requirePostgres();

const heard = (events: LiveEvent[], n: number, ms = 5_000) =>
  new Promise<void>((resolve, reject) => {
    const end = Date.now() + ms;
    const poll = () => (events.length >= n ? resolve() : Date.now() > end ? reject(new Error(`heard ${events.length} of ${n}`)) : setTimeout(poll, 10));
    poll();
  });

describe('the in-process live bus', () => {
  it('delivers on a later turn to every subscriber; one that throws does not keep it from the rest; unsubscribed and closed hear nothing', async () => {
    const errors: unknown[] = [];
    const bus = createInProcessLiveBus({ onError: (e) => errors.push(e) });
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    bus.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const offA = bus.subscribe((e) => a.push(e));
    bus.subscribe((e) => b.push(e));
    await bus.publish({ raceId: 1, tickId: 10 });
    expect(a).toEqual([]);
    await heard(b, 1);
    expect(a).toEqual([{ raceId: 1, tickId: 10 }]);
    expect(errors).toHaveLength(1);
    offA();
    await bus.publish({ raceId: 1, tickId: 11 });
    await heard(b, 2);
    expect(a).toHaveLength(1);
    await bus.close();
    await bus.publish({ raceId: 1, tickId: 12 });
    await new Promise((r) => setTimeout(r, 20));
    expect(b).toHaveLength(2);
  });

  it('is the bus chosen for PGlite and the memory repository; a PostgreSQL server gets LISTEN/NOTIFY', async () => {
    const inProcess = createLiveBus({ database: { kind: 'pglite', dir: 'x' }, dbKind: 'pglite', logger: silentLogger });
    expect('listening' in inProcess).toBe(false);
    const knex = openPostgres('postgres://nobody@127.0.0.1:1/none', 1);
    const pgBus = createLiveBus({ database: { kind: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none', poolMax: 1 }, dbKind: 'postgres', knex, logger: silentLogger });
    expect('listening' in pgBus).toBe(true);
    // Made without a connection: a process that never subscribes never LISTENs.
    await pgBus.close();
    await knex.destroy();
  });
});

describe.skipIf(pgReq.skip)('the PostgreSQL live bus (LISTEN/NOTIFY on the real server)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let knex: ReturnType<typeof openPostgres>;
  const buses: PgLiveBus[] = [];
  const busOver = () => {
    const bus = createLiveBus({ database: { kind: 'postgres', url, poolMax: 2 }, dbKind: 'postgres', knex, logger: silentLogger }) as PgLiveBus;
    buses.push(bus);
    return bus;
  };

  beforeEach(async () => {
    ({ url, drop } = await createScratchDatabase());
    knex = openPostgres(url, 2);
  });
  afterEach(async () => {
    for (const b of buses.splice(0)) await b.close();
    await knex.destroy();
    await drop();
  });

  const listeners = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    await c.end();
    return rows.map((r) => r.pid);
  };

  it('fans a publish out to the subscribers of every instance, each instance on one LISTEN connection', async () => {
    const one = busOver();
    const two = busOver();
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    const b2: LiveEvent[] = [];
    one.subscribe((e) => a.push(e));
    two.subscribe((e) => b.push(e));
    two.subscribe((e) => b2.push(e));
    await Promise.all([one.listening(), two.listening()]);
    expect(await listeners()).toHaveLength(2);
    await one.publish({ raceId: 3, tickId: 41 });
    await Promise.all([heard(a, 1), heard(b, 1), heard(b2, 1)]);
    expect([a, b, b2]).toEqual([[{ raceId: 3, tickId: 41 }], [{ raceId: 3, tickId: 41 }], [{ raceId: 3, tickId: 41 }]]);
  });

  it('a publishing-only instance opens no LISTEN connection', async () => {
    const publisher = busOver();
    const subscriber = busOver();
    const got: LiveEvent[] = [];
    subscriber.subscribe((e) => got.push(e));
    await subscriber.listening();
    await publisher.publish({ raceId: 1, tickId: 1 });
    await heard(got, 1);
    expect(await listeners()).toHaveLength(1);
  });

  it('reconnects after its connection is killed and hears what is published after', async () => {
    const bus = busOver();
    const got: LiveEvent[] = [];
    bus.subscribe((e) => got.push(e));
    await bus.listening();
    const [pid] = await listeners();
    await knex.raw('SELECT pg_terminate_backend(?)', [pid!]);
    // Until it LISTENs again, what is published is lost to it (the stream's heartbeat catches up from the store).
    let again: number[] = [];
    for (let i = 0; i < 200 && (again.length === 0 || again.includes(pid!)); i++) {
      await new Promise((r) => setTimeout(r, 25));
      again = await listeners();
    }
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(pid);
    await bus.listening();
    await bus.publish({ raceId: 2, tickId: 7 });
    await heard(got, 1);
    expect(got).toEqual([{ raceId: 2, tickId: 7 }]);
  });

  it('ignores a notification on its channel that is not a live event', async () => {
    const bus = busOver();
    const got: LiveEvent[] = [];
    bus.subscribe((e) => got.push(e));
    await bus.listening();
    await knex.raw('SELECT pg_notify(?, ?)', [LIVE_CHANNEL, 'not json']);
    await bus.publish({ raceId: 5, tickId: 9 });
    await heard(got, 1);
    expect(got).toEqual([{ raceId: 5, tickId: 9 }]);
  });

  it('keeps retrying while the server refuses, and listens once it can', async () => {
    let attempts = 0;
    const bus = createPgLiveBus({
      listen: {
        client: async () => new pg.Client({ connectionString: ++attempts < 3 ? 'postgres://postgres@127.0.0.1:1/none' : url }),
        close: async () => {},
      },
      notify: async (channel, payload) => void (await knex.raw('SELECT pg_notify(?, ?)', [channel, payload])),
      logger: silentLogger,
      reconnectMs: { first: 10, max: 40 },
    });
    buses.push(bus);
    const got: LiveEvent[] = [];
    bus.subscribe((e) => got.push(e));
    await bus.listening();
    expect(attempts).toBe(3);
    await bus.publish({ raceId: 1, tickId: 2 });
    await heard(got, 1);
  });
});
