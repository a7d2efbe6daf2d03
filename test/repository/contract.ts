import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Race } from '../../shared/domain/reference.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import type { NewEvaluation } from '../../shared/domain/scoring.js';
import type { Repository } from '../../shared/repository/index.js';
import { addQualifying, addResults, buildSeason, entriesFor, raceNamed, registerModel, resultRows, snapshotOf, type BuiltSeason } from '../helpers/builders.js';

export interface RepositoryUnderTest {
  repo: Repository;
  close(): Promise<void>;
}

const policy = { kind: 'post_qualifying' } as const;
const freezeAt = (race: Race) => freezeWindow(race, policy).allowedAt;
const raceStart = (race: Race) => freezeWindow(race, policy).raceStartsAt;

const scores = (predictionId: number, raceId: number, over: Partial<NewEvaluation> = {}): NewEvaluation => ({
  raceId, predictionId, starters: 6, positionMae: 1.5, timeMaeSeconds: 4, winnerCorrect: true, podiumAccuracy: 2 / 3, top10Accuracy: 1, spearman: 0.6,
  brier: { win: 0.1, podium: 0.2, points: 0.05, dnf: 0.07 }, logLoss: { win: 0.3, podium: 0.5, points: 0.2, dnf: 0.25 },
  calibrationError: { win: 0.05, podium: 0.1, points: 0.02, dnf: 0.03 }, intervalCoverage: 0.8,
  baseline: { positionMae: 2, winnerCorrect: false, podiumAccuracy: 1 / 3, top10Accuracy: 1, spearman: 0.4 }, ...over,
});

/**
 * The behaviour every Repository implementation shares, asserted through the interface only.
 * Each test gets a fresh, empty repository from `open` and builds its own small data.
 */
export function repositoryContract(name: string, open: () => Promise<RepositoryUnderTest>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip ?? false)(`the repository contract on ${name}`, () => {
    let under: RepositoryUnderTest | undefined;
    let repo: Repository;
    beforeEach(async () => {
      under = await open();
      repo = under.repo;
    });
    afterEach(async () => {
      await under?.close();
      under = undefined;
    });

    /** A season with its races' qualifying stored, and one frozen official forecast of its first race. */
    const withOfficialForecast = async (): Promise<{ s: BuiltSeason; race: Race; id: number }> => {
      const s = await buildSeason(repo);
      const race = s.races[0]!;
      const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race))));
      return { s, race, id: prediction.id };
    };

    describe('races', () => {
      it('reads races back in calendar order with their session times, as domain objects', async () => {
        await buildSeason(repo, { season: 2023, races: 2 });
        const s = await buildSeason(repo, { season: 2024, races: 3 });
        expect(s.races.map((r) => [r.round, r.name])).toEqual([[1, 'Bahrain Grand Prix'], [2, 'Saudi Arabian Grand Prix'], [3, 'Monaco Grand Prix']]);
        const monaco = await repo.races.bySeasonRound(2024, 3);
        expect(monaco).toEqual({
          id: monaco!.id, season: 2024, round: 3, circuitId: monaco!.circuitId, name: 'Monaco Grand Prix', url: null,
          sessions: { race: { date: '2024-03-17', time: '13:00:00' }, qualifying: { date: '2024-03-16', time: '14:00:00' } },
        });
        expect(await repo.races.byId(monaco!.id)).toEqual(monaco);
        expect((await repo.races.list()).map((r) => `${r.season}/${r.round}`)).toEqual(['2023/1', '2023/2', '2024/1', '2024/2', '2024/3']);
        expect((await repo.races.list({ fromSeason: 2024, toSeason: 2024 })).map((r) => r.round)).toEqual([1, 2, 3]);
        expect((await repo.races.list({ toSeason: 2023 })).map((r) => r.season)).toEqual([2023, 2023]);
        expect(await repo.races.seasons()).toEqual([2024, 2023]);
        expect(await repo.races.latest()).toEqual(monaco);
        expect(await repo.races.bySeasonRound(2024, 9)).toBeUndefined();
      });

      it('an empty repository has no seasons and no latest race', async () => {
        expect(await repo.races.seasons()).toEqual([]);
        expect(await repo.races.latest()).toBeUndefined();
        expect(await repo.races.listSeason(2024)).toEqual([]);
      });
    });

    describe('reference data', () => {
      it('upserts on natural keys and counts inserted, updated and unchanged rows', async () => {
        const drivers = [
          { driverRef: 'leclerc', forename: 'Charles', surname: 'Leclerc', code: 'LEC', number: 16 },
          { driverRef: 'piastri', forename: 'Oscar', surname: 'Piastri', code: 'PIA', number: 81 },
        ];
        expect(await repo.reference.upsert('drivers', drivers)).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
        expect(await repo.reference.upsert('drivers', drivers)).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
        expect(await repo.reference.upsert('drivers', [drivers[0]!, { ...drivers[1]!, number: 82 }])).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
        const stored = await repo.reference.drivers();
        expect(stored.map((d) => d.driverRef)).toEqual(['leclerc', 'piastri']);
        expect(stored[1]).toEqual({ id: stored[1]!.id, driverRef: 'piastri', number: 82, code: 'PIA', forename: 'Oscar', surname: 'Piastri', dob: null, nationality: null, url: null });
        // A source without a field leaves it alone; ids are stable across upserts.
        expect(await repo.reference.upsert('drivers', [{ driverRef: 'piastri', forename: 'Oscar', surname: 'Piastri' }])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
        expect((await repo.reference.keys()).drivers).toEqual(new Map(stored.map((d) => [d.driverRef, d.id])));
      });

      it('keeps a known ergast id when a source without one upserts the row', async () => {
        await repo.reference.upsert('circuits', [{ circuitRef: 'monaco', name: 'Monaco', ergastId: 6 }]);
        expect(await repo.reference.upsert('circuits', [{ circuitRef: 'monaco', name: 'Circuit de Monaco', ergastId: null }])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
        await repo.reference.upsert('circuits', [{ circuitRef: 'monaco', name: 'Circuit de Monaco', ergastId: null }]);
        expect((await repo.reference.circuits()).map((c) => c.name)).toEqual(['Circuit de Monaco']);
        // The ergast id is kept: a second circuit cannot take it.
        await expect(repo.reference.upsert('circuits', [{ circuitRef: 'monza', name: 'Monza', ergastId: 6 }])).rejects.toThrow(/unique|duplicate/i);
      });

      it('merges lap rows from several sources column by column, unioning their sources', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const [raceId, driverId] = [s.races[0]!.id, s.drivers[0]!];
        expect(await repo.reference.upsert('laps', [{ raceId, driverId, lap: 5, position: 1, timeMs: 75_000, sources: ['fastf1'] }])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
        const stints = { raceId, driverId, lap: 5, compound: 'HARD', stint: 2, tyreLife: 4, sources: ['openf1'] };
        expect(await repo.reference.upsert('laps', [stints])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
        expect(await repo.reference.upsert('laps', [stints])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
        expect(await repo.reference.laps(raceId, driverId)).toEqual([{
          raceId, driverId, lap: 5, position: 1, timeMs: 75_000, compound: 'HARD', stint: 2, tyreLife: 4, freshTyre: null, trackStatus: null,
          pitIn: null, pitOut: null, pitStop: null, sources: ['fastf1', 'openf1'],
        }]);
      });

      it('a large batch inside a transaction (COPY staging on PostgreSQL) counts the same', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const [raceId, driverId] = [s.races[0]!.id, s.drivers[0]!];
        const rows = Array.from({ length: 300 }, (_, i) => ({ raceId, driverId, lap: 1 + i, timeMs: 80_000 + i, sources: ['fastf1'] }));
        expect(await repo.withTransaction((t) => t.reference.upsert('laps', rows))).toEqual({ inserted: 300, updated: 0, unchanged: 0 });
        const changed = rows.map((r, i) => (i < 5 ? { ...r, timeMs: 1 } : r));
        expect(await repo.withTransaction((t) => t.reference.upsert('laps', changed))).toEqual({ inserted: 0, updated: 5, unchanged: 295 });
        const laps = await repo.reference.laps(raceId, driverId);
        expect(laps.map((l) => l.lap)).toEqual(rows.map((r) => r.lap));
        expect(laps.slice(0, 6).map((l) => l.timeMs)).toEqual([1, 1, 1, 1, 1, 80_005]);
      });

      it('keys results by race, driver and car number (a null number is a key value) and reads them in classification order with status text', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const race = s.races[0]!;
        const [a, b] = s.drivers;
        const base = { raceId: race.id, constructorId: s.teamOf.get(a!), grid: 1, points: 0, laps: 57, statusId: s.status.finished };
        const rows = [
          { ...base, driverId: b, number: null, positionText: '2', positionOrder: 2 },
          { ...base, driverId: a, number: 16, positionText: '1', positionOrder: 1 },
          { ...base, driverId: a, number: null, positionText: '3', positionOrder: 3 },
        ];
        expect(await repo.reference.upsert('results', rows)).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
        expect(await repo.reference.upsert('results', [rows[2]!])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
        const results = await repo.reference.results(race.id);
        expect(results.map((r) => [r.driverId, r.number, r.positionOrder, r.status])).toEqual([[a, 16, 1, 'Finished'], [b, null, 2, 'Finished'], [a, null, 3, 'Finished']]);
        expect((await repo.reference.seasonResults(s.season)).map((r) => r.positionOrder)).toEqual([1, 2, 3]);
      });

      it('reads qualifying in grid order and a season’s results by round, then classification', async () => {
        const s = await buildSeason(repo, { races: 2, qualifying: false });
        const [r1, r2] = s.races as [Race, Race];
        const reversed = [...s.drivers].reverse();
        await addQualifying(repo, s, r1, reversed);
        expect((await repo.reference.qualifying(r1.id)).map((q) => q.driverId)).toEqual(reversed);
        await addResults(repo, s, r2, s.drivers);
        await addResults(repo, s, r1, reversed, [reversed[5]!]);
        const season = await repo.reference.seasonResults(s.season);
        expect(season.map((r) => r.raceId)).toEqual([...s.drivers.map(() => r1.id), ...s.drivers.map(() => r2.id)]);
        expect(season.slice(0, 6).map((r) => r.driverId)).toEqual(reversed);
        expect(season[5]).toMatchObject({ position: null, positionText: 'R', status: 'Engine' });
      });

      it('refuses rows the schema forbids, storing none of the batch', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const circuitId = s.races[0]!.circuitId;
        await expect(
          repo.reference.upsert('races', [
            { season: 2024, round: 2, circuitId, name: 'Fine Grand Prix', date: '2024-06-02' },
            { season: 2024, round: 3, circuitId, name: 'Backwards Grand Prix', date: '2024-06-09', qualiDate: '2024-06-10' },
          ]),
        ).rejects.toThrow(/check/i);
        // A row that points nowhere: an unknown driver's qualifying.
        await expect(repo.reference.upsert('qualifying', [{ raceId: s.races[0]!.id, driverId: 999_999, constructorId: s.teamOf.get(s.drivers[0]!), position: 1 }])).rejects.toThrow(/foreign key/i);
        expect((await repo.races.listSeason(2024)).map((r) => r.round)).toEqual([1]);
        expect(await repo.reference.qualifying(s.races[0]!.id)).toEqual([]);
      });

      it('ensure inserts only what is missing', async () => {
        await repo.reference.ensure('status', ['Finished', 'Engine']);
        const before = (await repo.reference.keys()).status;
        await repo.reference.ensure('status', ['Engine', 'Finished', '+1 Lap']);
        const after = (await repo.reference.keys()).status;
        expect([...after.keys()].sort()).toEqual(['+1 Lap', 'Engine', 'Finished']);
        expect(after.get('Engine')).toBe(before.get('Engine'));
        await repo.reference.ensure('seasons', [2024, 2024]);
        expect((await repo.reference.rowCounts()).seasons).toBe(1);
      });
    });

    describe('frozen snapshots', () => {
      it('stores a forecast once under its key, entries in predicted order; the first forecast of a race and policy is official', async () => {
        const s = await buildSeason(repo);
        const race = s.races[0]!;
        const at = freezeAt(race);
        const snapshot = snapshotOf(s, race, at, { entries: [...entriesFor(s, s.drivers)].reverse() });
        const first = await repo.withTransaction((t) => t.predictions.freeze(snapshot));
        expect(first.created).toBe(true);
        const p = first.prediction;
        expect(p).toMatchObject({ raceId: race.id, kind: 'forecast', clock: 'simulated', official: true, status: 'frozen', createdAt: at, snapshotAt: at, freezePolicy: policy });
        expect(p.entries.map((e) => e.predictedPosition)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(p.entries).toEqual(entriesFor(s, s.drivers));
        const key = { raceId: race.id, modelVersion: 'qualifying-order-v1', policy, kind: 'forecast' as const };
        expect(await repo.predictions.byId(p.id)).toEqual(p);
        expect(await repo.predictions.byKey(key)).toEqual(p);
        expect(await repo.predictions.official(race.id, policy)).toEqual(p);
        expect(await repo.predictions.refByKey(key)).toEqual({ id: p.id, inputsHash: 'a'.repeat(64) });
        expect(await repo.predictions.officialRef(race.id, policy)).toEqual({ id: p.id, inputsHash: 'a'.repeat(64) });
        expect(await repo.predictions.officialIdsByRace([race.id, s.races[1]!.id], policy)).toEqual(new Map([[race.id, p.id]]));
        expect(await repo.predictions.officialRef(race.id, { kind: 't_minus', minutes: 60 })).toBeUndefined();

        const again = await repo.withTransaction((t) => t.predictions.freeze({ ...snapshot, inputsHash: 'b'.repeat(64), entries: entriesFor(s, [...s.drivers].reverse()) }));
        expect(again).toEqual({ prediction: p, created: false });
        expect(await repo.predictions.count()).toBe(1);
        expect(await repo.predictions.count(s.races[1]!.id)).toBe(0);
      });

      it('a later forecast by another model, and a retrospective one, are stored but not official', async () => {
        const { s, race, id } = await withOfficialForecast();
        await registerModel(repo, 'net-through-2023', 2023);
        const other = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { modelVersion: 'net-through-2023' })));
        const late = new Date(raceStart(race).getTime() + 3600_000);
        const retro = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { kind: 'retrospective', createdAt: late })));
        expect([other.prediction.official, retro.prediction.official]).toEqual([false, false]);
        expect(retro.prediction.kind).toBe('retrospective');
        expect((await repo.predictions.officialForRace(race.id)).map((p) => p.id)).toEqual([id]);
        const listed = await repo.predictions.snapshots(race.id);
        expect(listed.map((p) => [p.id, p.kind, p.official])).toEqual([[id, 'forecast', true], [other.prediction.id, 'forecast', false], [retro.prediction.id, 'retrospective', false]]);
        expect(listed.every((p) => !('entries' in p))).toBe(true);
      });

      it('each freeze policy has its own official snapshot', async () => {
        const { s, race, id } = await withOfficialForecast();
        const tMinus = { kind: 't_minus', minutes: 45 } as const;
        const at = freezeWindow(race, tMinus).allowedAt;
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, at, { freezePolicy: tMinus, sessionType: 'pre_race' })));
        expect(prediction).toMatchObject({ official: true, freezePolicy: tMinus });
        expect((await repo.predictions.officialRef(race.id, tMinus))!.id).toBe(prediction.id);
        expect((await repo.predictions.officialRef(race.id, policy))!.id).toBe(id);
        expect((await repo.predictions.officialForRace(race.id)).map((p) => p.id)).toEqual([id, prediction.id]);
      });

      it('refuses a forecast frozen at or after the race start, or by a model that has seen data from its freeze instant on', async () => {
        const s = await buildSeason(repo);
        const race = s.races[1]!;
        const at = freezeAt(race);
        await expect(repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, at, { createdAt: raceStart(race) })))).rejects.toThrow(/can only be stored as retrospective/);
        await expect(repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, new Date(raceStart(race).getTime() + 1), { kind: 'retrospective' })))).rejects.toThrow(/after the race start/);
        await registerModel(repo, 'net-through-2024', 2024);
        // Trained through 2023, but its pool learnt a race that started after this freeze.
        await registerModel(repo, 'net-2023-pool-past-it', 2023, new Date(raceStart(race).getTime() + 7 * 86_400_000).toISOString());
        for (const modelVersion of ['net-through-2024', 'net-2023-pool-past-it']) {
          await expect(repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, at, { modelVersion })))).rejects.toThrow(/has seen data through .* only make a retrospective/);
        }
        await expect(repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, at, { modelVersion: 'never-registered' })))).rejects.toThrow(/neither a registered race model nor a baseline/);
        expect(await repo.predictions.count()).toBe(0);
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, at, { modelVersion: 'net-through-2024', kind: 'retrospective' })));
        expect(prediction).toMatchObject({ kind: 'retrospective', official: false });
      });

      it('a wall-clock freeze is stamped with the repository’s own time, whatever the caller claims', async () => {
        const s = await buildSeason(repo, { season: 2099, races: 1 });
        const race = s.races[0]!;
        const before = Date.now();
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { clock: 'wall', createdAt: new Date('2000-01-01T00:00:00Z') })));
        expect(prediction.createdAt.getTime()).toBe(prediction.recordedAt.getTime());
        expect(Math.abs(prediction.createdAt.getTime() - before)).toBeLessThan(60_000);
        expect(prediction.official).toBe(true);
        // So a race that is over cannot get a wall-clock forecast by claiming an earlier time.
        const past = (await buildSeason(repo, { season: 2024, races: 1 })).races[0]!;
        await expect(repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, past, freezeAt(past), { clock: 'wall' })))).rejects.toThrow(/can only be stored as retrospective/);
        const retro = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, past, freezeAt(past), { clock: 'wall', kind: 'retrospective' })));
        expect(retro.prediction).toMatchObject({ kind: 'retrospective', official: false });
        expect(Math.abs(retro.prediction.createdAt.getTime() - before)).toBeLessThan(60_000);
      });

      it('a simulated-clock freeze keeps the replayed time and records the real one beside it', async () => {
        const s = await buildSeason(repo);
        const race = s.races[0]!;
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race))));
        expect(prediction.clock).toBe('simulated');
        expect(prediction.createdAt).toEqual(freezeAt(race));
        expect(Math.abs(prediction.recordedAt.getTime() - Date.now())).toBeLessThan(60_000);
      });

      it('refuses a snapshot whose entries share a position, storing nothing', async () => {
        const s = await buildSeason(repo);
        const race = s.races[0]!;
        const entries = entriesFor(s, s.drivers).map((e) => (e.predictedPosition === 3 ? { ...e, predictedPosition: 2 } : e));
        await expect(repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { entries })))).rejects.toThrow(/unique|duplicate/i);
        expect(await repo.predictions.count()).toBe(0);
        expect(await repo.predictions.officialRef(race.id, policy)).toBeUndefined();
      });

      it('a snapshot read back cannot be changed through the copy a caller holds', async () => {
        const { id } = await withOfficialForecast();
        const held = (await repo.predictions.byId(id))!;
        const pristine = structuredClone(held);
        held.entries[0]!.pWin = 0.99;
        held.entries.pop();
        held.warnings.push('tampered');
        expect(await repo.predictions.byId(id)).toEqual(pristine);
      });

      it('stores a strategy forecast and a missing median position as given', async () => {
        const s = await buildSeason(repo);
        const race = s.races[2]!;
        const strategy = { stops: 2, firstStopLap: { SOFT: 14 } };
        const entries = entriesFor(s, s.drivers).map((e) => ({ ...e, medianPosition: null, strategy }));
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { entries, warnings: ['low coverage'] })));
        const read = (await repo.predictions.byId(prediction.id))!;
        expect(read.entries.map((e) => [e.medianPosition, e.strategy])).toEqual(s.drivers.map(() => [null, strategy]));
        expect(read.warnings).toEqual(['low coverage']);
      });

      it('names the drivers and teams a snapshot mentions', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const names = await repo.predictions.names([s.drivers[0]!, s.drivers[0]!, 999_999], [s.teamOf.get(s.drivers[0]!)!]);
        expect(names.drivers).toEqual(new Map([[s.drivers[0]!, { name: 'Max Verstappen', code: 'VER' }]]));
        expect(names.constructors).toEqual(new Map([[s.teamOf.get(s.drivers[0]!)!, 'Red Bull']]));
      });
    });

    describe('evaluations', () => {
      it('one row per race and prediction: re-evaluation replaces the scores under the same id', async () => {
        const { race, id } = await withOfficialForecast();
        const first = await repo.evaluations.upsert(scores(id, race.id, { spearman: Number.NaN }));
        expect(first).toMatchObject({ raceId: race.id, predictionId: id, positionMae: 1.5, spearman: null, brier: { win: 0.1 }, baseline: { positionMae: 2 } });
        const second = await repo.evaluations.upsert(scores(id, race.id, { positionMae: 0.5, brier: { win: Number.POSITIVE_INFINITY, podium: 0.2, points: 0.05, dnf: 0.07 } }));
        expect(second.id).toBe(first.id);
        expect(second).toMatchObject({ positionMae: 0.5, brier: { win: null, podium: 0.2 } });
        expect(await repo.evaluations.byPrediction(id)).toEqual(second);
        expect(await repo.evaluations.count()).toBe(1);
        expect(await repo.evaluations.count(race.id)).toBe(1);
      });

      it('refuses to score a snapshot that is not its race’s official one', async () => {
        const { s, race, id } = await withOfficialForecast();
        const retro = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { kind: 'retrospective' })));
        await expect(repo.evaluations.upsert(scores(retro.prediction.id, race.id))).rejects.toThrow(/not the official snapshot/);
        await expect(repo.evaluations.upsert(scores(id, s.races[1]!.id))).rejects.toThrow(/not the official snapshot/);
        expect(await repo.evaluations.count()).toBe(0);
      });

      it('lists a season’s scores in round order and summarises them per model version', async () => {
        const s = await buildSeason(repo);
        const [r1, r2, r3] = s.races as [Race, Race, Race];
        const frozen = async (race: Race) => (await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, race, freezeAt(race))))).prediction.id;
        const [p3, p1] = [await frozen(r3), await frozen(r1)];
        await frozen(r2);
        await repo.evaluations.upsert(scores(p3, r3.id, { positionMae: 3, winnerCorrect: false, brier: { win: 0.3, podium: 0.2, points: 0.1, dnf: 0.1 } }));
        await repo.evaluations.upsert(scores(p1, r1.id, { positionMae: 1, winnerCorrect: true, brier: { win: 0.1, podium: 0.2, points: 0.1, dnf: 0.1 } }));
        const season = await repo.evaluations.season(s.season, policy);
        expect(season.map((e) => [e.round, e.raceName, e.predictionId])).toEqual([[1, 'Bahrain Grand Prix', p1], [3, 'Monaco Grand Prix', p3]]);
        expect(await repo.evaluations.season(s.season, { kind: 't_minus', minutes: 60 })).toEqual([]);
        const [summary] = await repo.evaluations.summaryByModel();
        expect(summary!.modelVersion).toBe('qualifying-order-v1');
        expect(summary!.races).toBe(2);
        expect(summary!.positionMae).toBeCloseTo(2);
        expect(summary!.winnerAccuracy).toBeCloseTo(0.5);
        expect(summary!.brierWin).toBeCloseTo(0.2);
      });
    });

    describe('result versions', () => {
      const row = (driverId: number, positionOrder: number, over: Record<string, unknown> = {}) => ({
        driverId, constructorId: 1, number: null, grid: positionOrder, position: positionOrder, positionText: String(positionOrder), positionOrder,
        points: 10 - positionOrder, laps: 57, timeText: null, milliseconds: 5_400_000 + positionOrder, fastestLap: null, fastestLapRank: null,
        fastestLapTime: null, fastestLapSpeed: null, status: 'Finished', ...over,
      });

      it('keeps every version of a race in order, the newest current, and refuses a number twice', async () => {
        const s = await buildSeason(repo, { qualifying: false });
        const [race, other] = [s.races[0]!, s.races[1]!];
        expect(await repo.resultVersions.current(race.id)).toBeUndefined();
        const first = { raceId: race.id, version: 1, syncedAt: new Date('2024-03-03T17:00:00Z'), runId: null, classification: [row(1, 1), row(2, 2)], changes: [], summary: 'first classification' };
        expect(await repo.resultVersions.add(first)).toEqual(first);
        const changes = [{ driverId: 2, driver: 'PIA', kind: 'changed' as const, fields: [{ field: 'status' as const, from: 'Finished', to: '+1 Lap' }] }];
        const second = { ...first, version: 2, syncedAt: new Date('2024-03-05T09:00:00Z'), classification: [row(1, 1), row(2, 2, { status: '+1 Lap' })], changes, summary: 'PIA: status Finished → +1 Lap' };
        await repo.resultVersions.add(second);
        await expect(repo.resultVersions.add({ ...second, summary: 'again' })).rejects.toThrow(/unique|duplicate/i);
        expect(await repo.resultVersions.current(race.id)).toEqual(second);
        expect((await repo.resultVersions.history(race.id)).map((v) => [v.version, v.summary])).toEqual([[1, 'first classification'], [2, 'PIA: status Finished → +1 Lap']]);
        expect(await repo.resultVersions.history(other.id)).toEqual([]);
      });

      it('an evaluation names its result version; a re-score against another version keeps the old score in history', async () => {
        const { race, id } = await withOfficialForecast();
        const v1 = await repo.evaluations.upsert(scores(id, race.id, { positionMae: 1.5, resultVersion: 1 }));
        expect(v1.resultVersion).toBe(1);
        // The same version again (an identical re-sync, POST /evaluate): replaced, no history.
        await repo.evaluations.upsert(scores(id, race.id, { positionMae: 1.25, resultVersion: 1 }));
        expect(await repo.evaluations.history(id)).toEqual([]);
        const v2 = await repo.evaluations.upsert(scores(id, race.id, { positionMae: 2, resultVersion: 2 }));
        expect(v2).toMatchObject({ id: v1.id, resultVersion: 2, positionMae: 2 });
        const [kept, ...more] = await repo.evaluations.history(id);
        expect(more).toEqual([]);
        expect(kept).toMatchObject({ id: v1.id, predictionId: id, resultVersion: 1, positionMae: 1.25 });
        expect(kept!.supersededAt).toBeInstanceOf(Date);
        expect(await repo.evaluations.count()).toBe(1);
        expect((await repo.evaluations.season(race.season, policy))[0]!.resultVersion).toBe(2);
      });
    });

    describe('model versions and training runs', () => {
      it('registers versions once per kind and finds the latest by training time', async () => {
        const a = await registerModel(repo, 'net-a', 2022);
        const b = await repo.modelVersions.register({ ...a, version: 'net-b', trainedAt: new Date('2025-06-01T00:00:00Z') });
        await repo.modelVersions.register({ ...a, kind: 'pit', version: 'net-a' });
        await expect(registerModel(repo, 'net-a', 2023)).rejects.toThrow(/unique|duplicate/i);
        expect(await repo.modelVersions.latest('race')).toEqual(b);
        expect(await repo.modelVersions.byVersion('race', 'net-a')).toEqual(a);
        expect((await repo.modelVersions.list('race')).map((v) => v.version)).toEqual(['net-b', 'net-a']);
        expect((await repo.modelVersions.list('race', 1)).map((v) => v.version)).toEqual(['net-b']);
        expect(await repo.modelVersions.byVersion('race', 'net-c')).toBeUndefined();
      });

      it('finishes a training run once, with its outcome', async () => {
        const run = await repo.modelVersions.startRun('race', { seasons: [2014, 2023] }, { index: 1, attempt: 0 });
        expect(run).toMatchObject({ status: 'running', finishedAt: null, taskIndex: 1, taskAttempt: 0, parameters: { seasons: [2014, 2023] } });
        const failed = await repo.modelVersions.finishRun(run.id, { error: 'out of memory' });
        expect(failed).toMatchObject({ status: 'failed', error: 'out of memory' });
        expect(failed.finishedAt).toBeInstanceOf(Date);
        expect(failed.durationMs).toBeGreaterThanOrEqual(0);
        await expect(repo.modelVersions.finishRun(run.id, {})).rejects.toThrow(/not running/);
        expect(await repo.modelVersions.runById(run.id)).toEqual(failed);
      });
    });

    describe('ingestion runs', () => {
      it('records a run, its quarantined rows and notes, newest run first', async () => {
        const first = await repo.ingestionRuns.start('dump', { path: '/x' });
        const run = await repo.ingestionRuns.start('jolpica', { season: 2024 });
        expect(run).toMatchObject({ status: 'running', finishedAt: null, parameters: { season: 2024 } });
        await repo.ingestionRuns.quarantine([
          { runId: run.id, source: 'jolpica', tableName: 'results', raw: { grid: -1 }, reason: 'bad grid' },
          { runId: run.id, source: 'jolpica', tableName: 'results', raw: { grid: -2 }, reason: 'bad grid again' },
        ]);
        await repo.ingestionRuns.note([{ runId: run.id, kind: 'corrected', tableName: 'pit_stops', raw: { stop: 30 }, corrected: { stop: 3 }, reason: 'swapped stop and lap' }]);
        const counts = { results: { read: 3, inserted: 1, updated: 0, unchanged: 0, quarantined: 2 } };
        const done = await repo.ingestionRuns.finish(run.id, { counts });
        expect(done).toMatchObject({ id: run.id, status: 'succeeded', counts, error: null });
        expect(done.finishedAt).toBeInstanceOf(Date);
        expect(await repo.ingestionRuns.quarantined(run.id)).toEqual([
          { runId: run.id, source: 'jolpica', tableName: 'results', raw: { grid: -1 }, reason: 'bad grid' },
          { runId: run.id, source: 'jolpica', tableName: 'results', raw: { grid: -2 }, reason: 'bad grid again' },
        ]);
        expect(await repo.ingestionRuns.notes(run.id)).toEqual([{ runId: run.id, kind: 'corrected', tableName: 'pit_stops', raw: { stop: 30 }, corrected: { stop: 3 }, reason: 'swapped stop and lap' }]);
        expect(await repo.ingestionRuns.quarantined(first.id)).toEqual([]);
        expect((await repo.ingestionRuns.latest(5)).map((r) => r.id)).toEqual([run.id, first.id]);
        // Paged by id: the page before a run holds only older ones.
        expect((await repo.ingestionRuns.latest(1)).map((r) => r.id)).toEqual([run.id]);
        expect((await repo.ingestionRuns.latest(5, run.id)).map((r) => r.id)).toEqual([first.id]);
        expect(await repo.ingestionRuns.latest(5, first.id)).toEqual([]);
        expect(await repo.ingestionRuns.byId(run.id)).toEqual(done);
        const failed = await repo.ingestionRuns.finish(first.id, { counts: {}, error: 'upstream 502' });
        expect(failed).toMatchObject({ status: 'failed', error: 'upstream 502' });
      });

      it('marks failed the running runs that stopped beating, dropping what they quarantined', async () => {
        const finished = await repo.ingestionRuns.start('dump', {});
        await repo.ingestionRuns.quarantine([{ runId: finished.id, source: 'dump', tableName: 'results', raw: {}, reason: 'kept' }]);
        await repo.ingestionRuns.finish(finished.id, { counts: {} });
        const alive = await repo.ingestionRuns.start('dump', {});
        await repo.ingestionRuns.quarantine([{ runId: alive.id, source: 'dump', tableName: 'results', raw: {}, reason: 'dropped' }]);
        await repo.ingestionRuns.note([{ runId: alive.id, kind: 'warning', tableName: 'laps', raw: {}, corrected: null, reason: 'dropped too' }]);
        await repo.ingestionRuns.heartbeat(alive.id);
        expect(await repo.ingestionRuns.reapDead(3600)).toEqual([]);
        // A negative staleness makes every heartbeat stale: the clock need not move.
        expect(await repo.ingestionRuns.reapDead(-60)).toEqual([{ id: alive.id, droppedRows: 2 }]);
        expect(await repo.ingestionRuns.byId(alive.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped \(no heartbeat since/) });
        expect(await repo.ingestionRuns.quarantined(alive.id)).toEqual([]);
        expect((await repo.ingestionRuns.quarantined(finished.id)).map((q) => q.reason)).toEqual(['kept']);
        expect(await repo.ingestionRuns.reapDead(-60)).toEqual([]);
      });
    });

    describe('freeze attempts', () => {
      it('keeps every refused freeze and reports, per race and policy, how many and the latest', async () => {
        const s = await buildSeason(repo, { qualifying: false });
        const [a, b] = [s.races[0]!, s.races[1]!];
        const at = (iso: string) => new Date(iso);
        await repo.freezeAttempts.record({ raceId: a.id, policyKey: 'post_qualifying', attemptedAt: at('2024-03-02T15:40:00Z'), status: 409, code: 'conflict', reason: 'no entry list' });
        await repo.freezeAttempts.record({ raceId: a.id, policyKey: 'post_qualifying', attemptedAt: at('2024-03-03T13:05:00Z'), status: 409, code: 'conflict', reason: 'started' });
        await repo.freezeAttempts.record({ raceId: a.id, policyKey: 'post_qualifying', attemptedAt: at('2024-03-02T16:00:00Z'), status: 503, code: 'not_ready', reason: 'later' });
        await repo.freezeAttempts.record({ raceId: b.id, policyKey: 't_minus:30', attemptedAt: at('2024-03-10T12:30:00Z'), status: 409, code: 'conflict', reason: 'other policy' });
        const got = await repo.freezeAttempts.refusals([a.id, b.id], 'post_qualifying');
        expect([...got.keys()]).toEqual([a.id]);
        expect(got.get(a.id)).toEqual({ attempts: 3, last: { attemptedAt: at('2024-03-03T13:05:00Z'), status: 409, code: 'conflict', reason: 'started' } });
        expect((await repo.freezeAttempts.refusals([b.id], 't_minus:30')).get(b.id)?.attempts).toBe(1);
        expect((await repo.freezeAttempts.refusals([], 'post_qualifying')).size).toBe(0);
        await expect(repo.freezeAttempts.record({ raceId: 999_999, policyKey: 'post_qualifying', attemptedAt: at('2024-03-02T15:40:00Z'), status: 409, code: 'conflict', reason: 'x' })).rejects.toThrow();
      });
    });

    describe('weather', () => {
      const sample = (raceId: number, session: string, sampledAt: string, airTemperature: number | null) => ({
        raceId, session, sessionKey: 9078, sampledAt, airTemperature, trackTemperature: 48.7, humidity: 46, pressure: 1017.7, rainfall: 0, windDirection: 143, windSpeed: 2.2,
      });

      it('upserts session weather on race, session and instant, and reads it by session then time', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const raceId = s.races[0]!.id;
        const rows = [sample(raceId, 'race', '2024-03-02T15:01:00.000Z', 29.4), sample(raceId, 'qualifying', '2024-03-01T16:00:00.000Z', 28), sample(raceId, 'race', '2024-03-02T15:00:00.000Z', 29.5)];
        expect(await repo.reference.upsert('session_weather', rows)).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
        expect(await repo.reference.upsert('session_weather', [rows[0]!, { ...rows[1]!, airTemperature: null }])).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
        expect((await repo.reference.sessionWeather(raceId)).map((w) => [w.session, w.sampledAt, w.airTemperature])).toEqual([
          ['qualifying', '2024-03-01T16:00:00.000Z', null],
          ['race', '2024-03-02T15:00:00.000Z', 29.5],
          ['race', '2024-03-02T15:01:00.000Z', 29.4],
        ]);
        expect((await repo.reference.sessionWeather(raceId))[1]).toEqual({ ...rows[2], session: 'race' });
        expect((await repo.reference.rowCounts()).session_weather).toBe(3);
        await expect(repo.reference.upsert('session_weather', [sample(999_999, 'race', '2024-03-02T15:00:00.000Z', 20)])).rejects.toThrow(/foreign key/i);
        expect(await repo.reference.sessionWeather(999_999)).toEqual([]);
      });

      it('keeps every forecast fetch; the latest is the newest fetched no later than the instant asked', async () => {
        const s = await buildSeason(repo, { races: 2, qualifying: false });
        const [race, other] = [s.races[0]!, s.races[1]!];
        const hours = [{ time: '2024-03-02T15:00:00.000Z', temperature: 24.5, humidity: 60, precipitationProbability: null, precipitation: 0, windSpeed: 12.1 }];
        const summary = { from: '2024-03-02T15:00:00.000Z', to: '2024-03-02T17:00:00.000Z', meanTemperature: 24.5, maxPrecipitationProbability: null, totalPrecipitation: 0, meanWindSpeed: 12.1, maxWindSpeed: 12.1, meanHumidity: 60 };
        const save = (raceId: number, fetchedAt: string) => repo.weather.saveForecast({ raceId, source: 'open-meteo', fetchedAt: new Date(fetchedAt), latitude: 26.03, longitude: 50.51, hours, summary });
        const first = await save(race.id, '2024-02-28T00:00:00Z');
        const second = await save(race.id, '2024-02-28T06:00:00Z');
        await save(other.id, '2024-02-28T03:00:00Z');
        expect(first).toEqual({ id: first.id, raceId: race.id, source: 'open-meteo', fetchedAt: new Date('2024-02-28T00:00:00Z'), latitude: 26.03, longitude: 50.51, hours, summary });
        expect(await repo.weather.latestForecast(race.id, new Date('2024-02-28T05:59:59Z'))).toEqual(first);
        expect(await repo.weather.latestForecast(race.id, new Date('2024-02-28T06:00:00Z'))).toEqual(second);
        expect(await repo.weather.latestForecast(race.id, new Date('2024-02-27T23:59:59Z'))).toBeUndefined();
        await expect(save(race.id, '2024-02-28T06:00:00Z')).rejects.toThrow(/unique|duplicate/i);
        await expect(save(999_999, '2024-02-28T06:00:00Z')).rejects.toThrow(/foreign key/i);
      });

      it('a snapshot keeps the weather it was frozen with; one frozen without reads null', async () => {
        const s = await buildSeason(repo);
        const [a, b] = [s.races[1]!, s.races[2]!];
        const weather = { forecast: null, reason: 'Open-Meteo: not in the forecast range yet' };
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, a, freezeAt(a), { weather })));
        expect(prediction.weather).toEqual(weather);
        expect((await repo.predictions.byId(prediction.id))!.weather).toEqual(weather);
        const bare = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, b, freezeAt(b))));
        expect((await repo.predictions.byId(bare.prediction.id))!.weather).toBeNull();
      });

      it('a snapshot keeps the reasons and head-to-head odds it was frozen with; one frozen without reads null', async () => {
        const s = await buildSeason(repo);
        const [a, b] = [s.races[1]!, s.races[2]!];
        const reason = { feature: 'constructorRaceGain', label: "team's places gained from the grid, last 20 starts", value: 1.3, valueText: '+1.3 a race', effect: -0.8, effectText: '≈ 0.8 places better', text: 'why' };
        const entries = entriesFor(s, s.drivers).map((e, i) => ({ ...e, reasons: i === 0 ? [reason] : [] }));
        const ids = entries.map((e) => e.driverId);
        const headToHead = { driverIds: ids, p: ids.map((_, i) => ids.map((__, j) => (i === j ? 0 : i < j ? 0.7 : 0.3))) };
        const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, a, freezeAt(a), { entries, headToHead })));
        const read = (await repo.predictions.byId(prediction.id))!;
        expect(read.headToHead).toEqual(headToHead);
        expect(read.entries.find((e) => e.driverId === ids[0])!.reasons).toEqual([reason]);
        expect(read.entries.find((e) => e.driverId === ids[1])!.reasons).toEqual([]);
        const bare = (await repo.predictions.byId((await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(s, b, freezeAt(b))))).prediction.id))!;
        expect(bare.headToHead).toBeNull();
        expect(bare.entries.every((e) => e.reasons === null)).toBe(true);
      });
    });

    describe('race control', () => {
      const message = (raceId: number, at: string, text: string, over: Record<string, unknown> = {}) => ({
        raceId, session: 'race', sessionKey: 9472, at, lap: 12, driverId: null, category: 'Flag', flag: 'YELLOW', scope: 'Sector', sector: 4, message: text, ...over,
      });

      it('upserts messages on race, session, instant and text, keeps a message about no driver, and reads them in time order', async () => {
        const s = await buildSeason(repo, { races: 1, qualifying: false });
        const raceId = s.races[0]!.id;
        const driverId = s.drivers[0]!;
        const rows = [
          message(raceId, '2024-03-02T15:31:58.000Z', 'YELLOW IN TRACK SECTOR 4'),
          message(raceId, '2024-03-02T15:40:00.000Z', 'BLACK AND WHITE FLAG FOR CAR 1 - TRACK LIMITS', { driverId, flag: 'BLACK AND WHITE', scope: 'Driver', sector: null, lap: 20 }),
          // Same instant, another message: both are kept (OpenF1 gives messages no id).
          message(raceId, '2024-03-02T15:31:58.000Z', 'CLEAR IN TRACK SECTOR 3', { flag: 'CLEAR', sector: 3 }),
          message(raceId, '2024-03-02T15:02:00.000Z', 'DRS ENABLED', { category: 'Drs', flag: null, scope: null, sector: null, lap: null }),
        ];
        expect(await repo.reference.upsert('race_control', rows)).toEqual({ inserted: 4, updated: 0, unchanged: 0 });
        expect(await repo.reference.upsert('race_control', [rows[0]!, { ...rows[1]!, lap: 21 }])).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
        expect(await repo.reference.raceControl(raceId)).toEqual([rows[3], rows[2], rows[0], { ...rows[1], lap: 21 }]);
        expect((await repo.reference.rowCounts()).race_control).toBe(4);
        await expect(repo.reference.upsert('race_control', [message(raceId, '2024-03-02T15:50:00.000Z', 'X', { driverId: 999_999 })])).rejects.toThrow(/foreign key/i);
        await expect(repo.reference.upsert('race_control', [message(999_999, '2024-03-02T15:50:00.000Z', 'X')])).rejects.toThrow(/foreign key/i);
        expect(await repo.reference.raceControl(999_999)).toEqual([]);
        expect(await repo.reference.raceControl(raceId)).toHaveLength(4);
      });
    });

    describe('analytics reads', () => {
      it("hands over a season's rows in one read, trimmed to the analytics' columns, and a driver's or team's results at a circuit", async () => {
        const s = await buildSeason(repo, { races: 2, drivers: 4 });
        const [r1, r2] = s.races as [Race, Race];
        const [a, b] = s.drivers as [number, number];
        await addResults(repo, s, r1, s.drivers, [b]);
        await repo.reference.upsert('laps', [
          { raceId: r1.id, driverId: a, lap: 2, timeMs: 91_000, compound: 'SOFT', stint: 1, tyreLife: 3, trackStatus: '12', pitIn: false, pitOut: false, sources: ['fastf1'] },
          { raceId: r1.id, driverId: a, lap: 3, timeMs: 95_000, sources: ['ergast'] },
        ]);
        await repo.reference.upsert('pit_stops', [{ raceId: r1.id, driverId: a, stop: 1, lap: 3, duration: '22.5', milliseconds: 22_500 }]);
        await repo.reference.upsert('driver_standings', [{ raceId: r1.id, driverId: a, points: 10, position: 1, positionText: '1', wins: 1 }]);
        await repo.reference.upsert('constructor_standings', [{ raceId: r1.id, constructorId: s.teamOf.get(a), points: 10, position: 1, positionText: '1', wins: 1 }]);
        const message = { sessionKey: 1, driverId: null, category: 'SafetyCar', flag: null, scope: null, sector: null, message: 'SAFETY CAR DEPLOYED', lap: 2 };
        await repo.reference.upsert('race_control', [
          { ...message, raceId: r1.id, session: 'race', at: '2024-03-03T13:20:00.000Z' },
          { ...message, raceId: r1.id, session: 'qualifying', at: '2024-03-02T14:20:00.000Z' },
        ]);

        const season = await repo.analytics.season(2024);
        expect(season.races.map((r) => r.id)).toEqual([r1.id, r2.id]);
        expect(season.results).toHaveLength(4);
        expect(season.results.find((r) => r.driverId === b)).toMatchObject({ raceId: r1.id, grid: 2, position: null, positionText: 'R', positionOrder: 2, points: 0, laps: 20, status: 'Engine' });
        expect(season.qualifying).toHaveLength(8);
        expect(season.qualifying.find((q) => q.raceId === r2.id && q.driverId === b)).toMatchObject({ constructorId: s.teamOf.get(b), position: 2, q1Ms: 90_100, q2Ms: null, q3Ms: null });
        expect(season.laps.map((l) => [l.lap, l.timeMs, l.compound, l.stint, l.tyreLife, l.trackStatus, l.pitIn, l.pitOut])).toEqual([
          [2, 91_000, 'SOFT', 1, 3, '12', false, false],
          [3, 95_000, null, null, null, null, null, null],
        ]);
        expect(season.pitStops).toEqual([expect.objectContaining({ raceId: r1.id, driverId: a, stop: 1, lap: 3, milliseconds: 22_500 })]);
        expect(season.driverStandings).toEqual([expect.objectContaining({ raceId: r1.id, entityId: a, points: 10, position: 1, wins: 1 })]);
        expect(season.constructorStandings).toEqual([expect.objectContaining({ raceId: r1.id, entityId: s.teamOf.get(a), points: 10 })]);
        // The race session's messages only.
        expect(season.raceControl).toEqual([expect.objectContaining({ raceId: r1.id, at: '2024-03-03T13:20:00.000Z', lap: 2, message: 'SAFETY CAR DEPLOYED' })]);
        expect((await repo.analytics.season(2030)).races).toEqual([]);

        const atCircuit = await repo.analytics.circuitResults(r1.circuitId, { driverId: a });
        expect(atCircuit).toEqual([expect.objectContaining({ season: 2024, round: 1, race: r1.name, raceId: r1.id, driverId: a, positionOrder: 1, status: 'Finished' })]);
        expect((await repo.analytics.circuitResults(r1.circuitId, { constructorId: s.teamOf.get(a)! })).map((r) => r.driverId).sort()).toEqual([a, b].sort());
        expect(await repo.analytics.circuitResults(r2.circuitId, { driverId: a })).toEqual([]);
      });
    });

    describe('history', () => {
      it('as of an instant, holds the results and standings of races started before it and the qualifying of sessions started before it', async () => {
        const s = await buildSeason(repo, { races: 3 });
        const [r1, r2] = s.races as [Race, Race];
        await addResults(repo, s, r1, s.drivers);
        await addResults(repo, s, r2, s.drivers);
        const all = await repo.history.load();
        expect(all.races.map((r) => r.round)).toEqual([1, 2, 3]);
        expect(all.results).toHaveLength(12);
        expect(all.qualifying).toHaveLength(18);
        expect(all.qualifying.find((q) => q.raceId === r1.id && q.position === 1)!.bestMs).toBe(90_000);
        // Between round 2's qualifying and its race.
        const asOf = freezeAt(r2);
        const known = await repo.history.load({ asOf });
        expect([...new Set(known.results.map((r) => r.raceId))]).toEqual([r1.id]);
        expect([...new Set(known.qualifying.map((q) => q.raceId))].sort()).toEqual([r1.id, r2.id].sort());
        expect((await repo.history.load({ fromSeason: 2025 })).races).toEqual([]);
        expect(await repo.history.snapshotId()).toBe('races-3.results-12.qualifying-18.latest-2024r2');
      });
    });

    describe('transactions', () => {
      it('a throw inside a transaction leaves none of its writes behind; a return commits them', async () => {
        const s = await buildSeason(repo);
        const race = s.races[0]!;
        const failure = new Error('dropped connection');
        await expect(
          repo.withTransaction(async (t) => {
            await t.reference.upsert('results', resultRows(s, race, s.drivers));
            const { prediction } = await t.predictions.freeze(snapshotOf(s, race, freezeAt(race)));
            await t.evaluations.upsert(scores(prediction.id, race.id));
            await t.ingestionRuns.start('results-sync', {});
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await repo.reference.results(race.id)).toEqual([]);
        expect(await repo.predictions.count()).toBe(0);
        expect(await repo.evaluations.count()).toBe(0);
        expect(await repo.ingestionRuns.latest(1)).toEqual([]);
        const id = await repo.withTransaction(async (t) => (await t.predictions.freeze(snapshotOf(s, race, freezeAt(race)))).prediction.id);
        expect((await repo.predictions.officialRef(race.id, policy))!.id).toBe(id);
      });

      it('a failed inner transaction is undone alone; the outer one keeps its own writes', async () => {
        const s = await buildSeason(repo, { qualifying: false });
        const [r1, r2] = s.races as [Race, Race];
        await repo.withTransaction(async (t) => {
          await addQualifying(t, s, r1, s.drivers);
          await t.withTransaction(async (inner) => {
            await addQualifying(inner, s, r2, s.drivers);
            throw new Error('inner');
          }).catch(() => undefined);
        });
        expect(await repo.reference.qualifying(r1.id)).toHaveLength(6);
        expect(await repo.reference.qualifying(r2.id)).toEqual([]);
      });

      it('a refused freeze inside a transaction rolls back the writes before it', async () => {
        const s = await buildSeason(repo);
        const race = raceNamed(s, 'Monaco');
        await expect(
          repo.withTransaction(async (t) => {
            await registerModel(t, 'net-through-2024', 2024);
            await t.predictions.freeze(snapshotOf(s, race, freezeAt(race), { modelVersion: 'net-through-2024' }));
          }),
        ).rejects.toThrow(/only make a retrospective/);
        expect(await repo.modelVersions.byVersion('race', 'net-through-2024')).toBeUndefined();
      });
    });
  });
}

