import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { loadRecords } from '../../shared/ingest/load.js';
import type { RecordBatch } from '../../shared/ingest/records.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { dataDir, requireData } from '../helpers/settings.js';

const data = requireData();
const pglite = backends.find((b) => b.name === 'pglite')!;

/** Issue 12: the dump's nationality "Argentinian " (trailing space) was stored and served as is. */
describe('text from the sources is trimmed once, where records are validated', () => {
  let db: Database;
  let repo: Repository;
  beforeAll(async () => {
    db = await pglite.open();
    repo = createRepository(db.knex);
  });
  afterAll(async () => {
    await db?.close();
  });

  const load = async (batch: RecordBatch, source: 'dump' | 'jolpica') => {
    const run = await repo.ingestionRuns.start(source, { test: true });
    const out = await loadRecords(repo, batch, { run, source });
    await repo.ingestionRuns.finish(run.id, { counts: {} });
    return out;
  };

  it.skipIf(data.skip)('the real dump: Colapinto is Argentinian, with no trailing space', async () => {
    const { batch } = await readDump(await openDumpSource(path.join(dataDir, 'ergast')));
    const raw = batch.drivers!.find((d) => d.driverRef === 'colapinto');
    expect(raw?.nationality).toBe('Argentinian ');
    await load({ drivers: batch.drivers, constructors: batch.constructors, circuits: batch.circuits }, 'dump');
    const stored = (await repo.reference.drivers()).find((d) => d.driverRef === 'colapinto');
    expect(stored?.nationality).toBe('Argentinian');
  });

  it('any source: names, refs and texts are trimmed, a blank text is null, and a padded ref still joins', async () => {
    // The shape an API reader (Jolpica, OpenF1) hands the loader, with padding everywhere.
    await load(
      {
        seasons: [{ year: 2031, url: ' https://example.test/2031 ' }],
        circuits: [{ circuitRef: ' trim_ring ', name: ' Trim Ring ', location: ' Padding ', country: '   ' }],
        drivers: [{ driverRef: 'trim_driver ', forename: ' Ada', surname: 'Lovelace  ', nationality: ' British ', code: ' TRI ', number: 7 }],
        constructors: [{ constructorRef: ' trim_team', name: ' Trim Racing ', nationality: '\tItalian\n' }],
        races: [{ season: 2031, round: 1, circuitRef: 'trim_ring', name: ' Trim Grand Prix ', date: ' 2031-03-02 ', time: '14:00:00Z ' }],
      },
      'jolpica',
    );
    const driver = (await repo.reference.drivers()).find((d) => d.driverRef === 'trim_driver');
    expect(driver).toMatchObject({ forename: 'Ada', surname: 'Lovelace', nationality: 'British', code: 'TRI' });
    expect((await repo.reference.constructors()).find((c) => c.constructorRef === 'trim_team')).toMatchObject({ name: 'Trim Racing', nationality: 'Italian' });
    expect((await repo.reference.circuits()).find((c) => c.circuitRef === 'trim_ring')).toMatchObject({ name: 'Trim Ring', location: 'Padding', country: null });
    const race = await repo.races.bySeasonRound(2031, 1);
    expect(race).toMatchObject({ name: 'Trim Grand Prix' });
  });
});
