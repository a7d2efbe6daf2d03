import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest } from '../../shared/db/migrate.js';
import { openPglite } from '../../shared/db/pglite.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { SimulatedClock } from '../../shared/clock.js';
import type { Prediction } from '../../shared/domain/prediction.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { findRace, predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { createPredictionsStore } from '../../shared/repository/predictions-store.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { createScratchDatabase } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData, requirePostgres, testDatabaseUrl } from '../helpers/settings.js';

/**
 * Issue 13 item 2: a frozen snapshot could still be changed. Every statement is tried as the
 * application role (a login of its own, as the functions connect), and the ones the triggers
 * refuse also as the owner, who holds every privilege: only the triggers stop it there.
 */

const data = requireData();
const postgres = requirePostgres();
const policy = { kind: 'post_qualifying' } as const;

/** A copy of an entry as a row, for another driver: the 21st entry of a 20-car snapshot. */
const extraEntry = (p: Prediction, driverId: number) => {
  const e = p.entries[0]!;
  return {
    prediction_id: p.id, driver_id: driverId, constructor_id: e.constructorId, predicted_position: p.entries.length + 1,
    expected_position: 21, gap_seconds: 99, gap_low_seconds: 90, gap_high_seconds: 120, p_win: 0.5, p_podium: 0.5, p_points: 0.5, p_dnf: 0,
    feature_coverage: 1, imputed_count: 0,
  };
};

/** Another driver of the dump, not in the snapshot. */
const outsider = async (knex: Knex, p: Prediction) =>
  Number((await knex('drivers').whereNotIn('id', p.entries.map((e) => e.driverId)).first('id'))!.id);

const snapshotState = async (knex: Knex, id: number) => {
  const [row] = await knex('prediction_entries').where({ prediction_id: id }).select(knex.raw('count(*)::int AS n, sum(p_win) AS p_win'));
  const prediction = await knex('predictions').where({ id }).first('confidence', 'official');
  return { entries: Number(row.n), pWin: Number(Number(row.p_win).toFixed(9)), prediction };
};

describe.skipIf(postgres.skip || data.skip)('a frozen snapshot cannot change, on PostgreSQL as the application role', () => {
  const appRole = `pitwall_test_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let drop: (() => Promise<void>) | undefined;
  let owner: Knex;
  let app: Knex;
  let repo: Repository;
  let monaco: Prediction;
  let before: Awaited<ReturnType<typeof snapshotState>>;
  const clock = new SimulatedClock(new Date('2024-01-01T00:00:00Z'));

  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: testDatabaseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    const scratch = await createScratchDatabase();
    drop = scratch.drop;
    await admin(`CREATE ROLE ${appRole} LOGIN PASSWORD '${password}'`);
    owner = openPostgres(scratch.url, 2);
    await migrateLatest(owner, { appRole });
    const asApp = new URL(scratch.url);
    asApp.username = appRole;
    asApp.password = password;
    app = openPostgres(asApp.toString(), 3);
    repo = createRepository(app);
    // The ingest, as the application role: its grants are enough for the real loader.
    await loadSeasons(repo, [2024]);
    const race = await findRace(repo, { year: 2024, race: 'Monaco' });
    clock.set(freezeWindow(race, policy).allowedAt);
    const deps: PredictDeps = { repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo) };
    ({ prediction: monaco } = await predict(deps, { year: 2024, race: 'Monaco' }));
    before = await snapshotState(owner, monaco.id);
  }, 180_000);

  afterAll(async () => {
    await app?.destroy();
    await owner?.destroy();
    await drop?.();
    // The database (and with it every grant) is gone, so the role can go too.
    await admin(`DROP ROLE IF EXISTS ${appRole}`);
  });

  it('freezes a new snapshot through the real code path (repo.predictions.freeze in predict) as the application role', async () => {
    expect(await app.raw('SELECT current_user AS u').then((r) => r.rows[0].u)).toBe(appRole);
    expect(monaco.entries.length).toBe(before.entries);
    expect(before.entries).toBeGreaterThanOrEqual(20);
    expect(before.pWin).toBeCloseTo(1, 6);
    expect(before.prediction.official).toBe(true);
  });

  it('freezes inside a savepoint too (a knex transaction nested in another), and entries added after it in the same transaction', async () => {
    const bahrain = await findRace(repo, { year: 2024, race: 'Bahrain' });
    const at = freezeWindow(bahrain, policy).allowedAt;
    const f = await new QualifyingOrderForecaster(repo).forecast(bahrain.id, at);
    const driver = await app('drivers').whereNotIn('id', f.drivers.map((d) => d.driverId)).first('id');
    const stored = await app.transaction(async (trx) => {
      const { prediction } = await trx.transaction((sub) =>
        createPredictionsStore(sub).freeze({
          raceId: bahrain.id, modelVersion: f.modelVersion, kind: 'forecast', clock: 'simulated', createdAt: at, freezePolicy: policy, snapshotAt: at,
          sessionType: 'qualifying', inputsHash: 'b'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, warnings: [],
          entries: f.drivers.map((d) => ({ ...d, gapFlagged: false, strategy: null, reasons: null })),
        }),
      );
      // The savepoint is released; the transaction that froze it is still open.
      await trx('prediction_entries').insert(extraEntry(prediction, Number(driver!.id)));
      return prediction;
    });
    expect((await snapshotState(app, stored.id)).entries).toBe(f.drivers.length + 1);
  });

  it('refuses an INSERT of an extra entry into a frozen snapshot, as the application role and as the owner', async () => {
    const row = extraEntry(monaco, await outsider(app, monaco));
    await expect(app('prediction_entries').insert(row)).rejects.toThrow(/prediction \d+ is frozen: entries can only be added by the transaction that froze it/);
    await expect(owner('prediction_entries').insert(row)).rejects.toThrow(/is frozen/);
    // Nor from a later transaction that has a savepoint of its own.
    await expect(app.transaction((trx) => trx.transaction((sub) => sub('prediction_entries').insert(row)))).rejects.toThrow(/is frozen/);
  });

  it('refuses UPDATE and DELETE of the prediction and of its entries', async () => {
    const where = { prediction_id: monaco.id };
    await expect(app('predictions').where({ id: monaco.id }).update({ confidence: 0.1 })).rejects.toThrow(/permission denied for table predictions/);
    await expect(app('predictions').where({ id: monaco.id }).delete()).rejects.toThrow(/permission denied for table predictions/);
    await expect(app('prediction_entries').where(where).update({ p_win: 0.9 })).rejects.toThrow(/permission denied for table prediction_entries/);
    await expect(app('prediction_entries').where(where).delete()).rejects.toThrow(/permission denied for table prediction_entries/);
    // The strategy slot 004 let anyone fill once is frozen as well, whoever asks.
    await expect(owner('prediction_entries').where(where).update({ strategy: JSON.stringify({ stops: 1 }) })).rejects.toThrow(/cannot be update/);
    await expect(owner('prediction_entries').where(where).delete()).rejects.toThrow(/cannot be delete/);
    // So are the reasons and the head-to-head odds (migration 015), whoever asks.
    await expect(owner('prediction_entries').where(where).update({ reasons: JSON.stringify([]) })).rejects.toThrow(/cannot be update/);
    await expect(owner('predictions').where({ id: monaco.id }).update({ head_to_head: JSON.stringify({ driverIds: [], p: [] }) })).rejects.toThrow(/is frozen and cannot be update/);
  });

  it('refuses TRUNCATE prediction_entries and TRUNCATE predictions CASCADE, as the application role and as the owner', async () => {
    for (const sql of ['TRUNCATE prediction_entries', 'TRUNCATE predictions CASCADE', 'TRUNCATE races CASCADE']) {
      await expect(app.raw(sql), sql).rejects.toThrow(/permission denied/);
      await expect(owner.raw(sql), sql).rejects.toThrow(/holds frozen snapshots and cannot be truncated/);
    }
  });

  it('refuses to disable or drop the triggers, to alter the tables, or to add a trigger of its own', async () => {
    for (const sql of [
      'ALTER TABLE prediction_entries DISABLE TRIGGER prediction_entries_admit',
      'ALTER TABLE predictions DISABLE TRIGGER ALL',
      'DROP TRIGGER predictions_frozen ON predictions',
      'DROP TRIGGER prediction_entries_no_truncate ON prediction_entries',
      'ALTER TABLE prediction_entries DROP CONSTRAINT prediction_entries_pkey',
      'ALTER TABLE predictions ADD COLUMN note text',
      'DROP TABLE prediction_entries',
      'DROP FUNCTION prediction_entries_admit CASCADE',
    ]) {
      await expect(app.raw(sql), sql).rejects.toThrow(/must be owner/);
    }
    // Replacing the trigger's function body: refused before ownership is even asked.
    await expect(app.raw('CREATE OR REPLACE FUNCTION prediction_entries_admit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$')).rejects.toThrow(/permission denied for schema public/);
    await expect(app.raw('CREATE TRIGGER mine BEFORE INSERT ON prediction_entries FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()')).rejects.toThrow(/permission denied/);
    await expect(app.raw('CREATE TABLE predictions_copy (id int)')).rejects.toThrow(/permission denied for schema public/);
    await expect(app.raw('SET ROLE postgres')).rejects.toThrow(/permission denied/);
    // Replica mode would skip every ordinary trigger for the session.
    await expect(app.raw('SET session_replication_role = replica')).rejects.toThrow(/permission denied/);
  });

  it('leaves the snapshot exactly as it was frozen', async () => {
    expect(await snapshotState(owner, monaco.id)).toEqual(before);
  });
});

describe('the embedded PGlite backend still migrates (no roles, no grants) and freezes the same way', () => {
  it('applies 007; entries go in only with their prediction (savepoints included); an extra entry and a TRUNCATE are refused', async () => {
    const { knex, close } = await openPglite(undefined);
    try {
      const { applied, appRole } = await migrateLatest(knex);
      expect(applied).toContain('007_frozen_snapshots');
      expect(appRole).toBeUndefined();
      await knex.raw(`INSERT INTO seasons (year) VALUES (2024)`);
      await knex.raw(`INSERT INTO circuits (id, circuit_ref, name) VALUES (1, 'monaco', 'Monaco')`);
      await knex.raw(`INSERT INTO constructors (id, constructor_ref, name) VALUES (1, 'ferrari', 'Ferrari')`);
      await knex.raw(`INSERT INTO drivers (id, driver_ref, forename, surname) VALUES (1, 'a', 'A', 'A'), (2, 'b', 'B', 'B'), (3, 'c', 'C', 'C')`);
      await knex.raw(`INSERT INTO races (id, season, round, circuit_id, name, race_date) VALUES (1, 2024, 8, 1, 'Monaco Grand Prix', '2024-05-26')`);
      const entry = (predictionId: number, driverId: number) => ({
        prediction_id: predictionId, driver_id: driverId, constructor_id: 1, predicted_position: driverId, expected_position: driverId,
        gap_seconds: 0, gap_low_seconds: 0, gap_high_seconds: 1, p_win: 0.5, p_podium: 1, p_points: 1, p_dnf: 0, feature_coverage: 1, imputed_count: 0,
      });
      const id = await knex.transaction(async (trx) => {
        const inner = await trx.transaction(async (sub) => {
          const [row] = await sub('predictions')
            .insert({
              race_id: 1, model_version: 'qualifying-order-v1', kind: 'retrospective', clock: 'simulated', created_at: '2024-05-25T16:00:00Z', freeze_policy: 'post_qualifying',
              snapshot_at: '2024-05-25T16:00:00Z', session_type: 'qualifying', inputs_hash: 'c'.repeat(64), confidence: 0.5, feature_coverage: 1, imputed_count: 0,
            })
            .returning('id');
          await sub('prediction_entries').insert(entry(Number(row.id), 1));
          return Number(row.id);
        });
        await trx('prediction_entries').insert(entry(inner, 2));
        return inner;
      });
      await expect(knex('prediction_entries').insert(entry(id, 3))).rejects.toThrow(/is frozen: entries can only be added by the transaction that froze it/);
      await expect(knex('prediction_entries').where({ prediction_id: id }).delete()).rejects.toThrow(/cannot be delete/);
      await expect(knex.raw('TRUNCATE predictions CASCADE')).rejects.toThrow(/cannot be truncated/);
      await expect(knex.raw('TRUNCATE prediction_entries')).rejects.toThrow(/cannot be truncated/);
      expect(Number((await knex('prediction_entries').count('* as n'))[0]!.n)).toBe(2);
    } finally {
      await close();
    }
  });
});
