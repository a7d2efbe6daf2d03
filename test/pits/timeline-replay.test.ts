import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { readLapFiles } from '../../shared/ingest/laps/read-laps.js';
import { loadRecords } from '../../shared/ingest/load.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { buildSequences, replayWindows, windowAt, type DriverSequence, type RaceInput } from '../../shared/pits/features.js';
import { loadPitRace } from '../../shared/pits/load.js';
import { buildPitModel, defaultModelOptions } from '../../shared/pits/model.js';
import { forecastAtLap, pitTimeline, type LoadedPitModel, type PitTimelineDriver } from '../../shared/pits/serve.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { ergastDir, f1PaceFile, fastf1File, openf1SessionsFile, openf1StintsFile, sliceBatch } from '../ingest/helpers.js';
import { knownAt, rowEnds } from './known-at.js';
import { fourCars, syntheticRace } from './synthetic-race.js';

/**
 * The timeline as it was computed before replayWindows: the race cut at every lap t and
 * rebuilt, one forecastAtLap per lap. Kept here as the reference the timeline must equal.
 */
function referenceTimeline(loaded: LoadedPitModel, race: RaceInput, lastLaps = new Map<number, number>()): PitTimelineDriver[] {
  const sequences = buildSequences(race);
  const stops = new Map(sequences.map((s) => [s.driverId, new Set(s.stops)]));
  const lastLap = new Map(sequences.map((s) => [s.driverId, Math.min(s.laps.at(-1)!, lastLaps.get(s.driverId) ?? Infinity, race.totalLaps)]));
  const byDriver = new Map<number, PitTimelineDriver['laps']>(sequences.map((s) => [s.driverId, []]));
  const lastForecast = Math.max(...lastLap.values()) - 1;
  for (let t = 1; t <= lastForecast; t++) {
    for (const f of forecastAtLap(loaded, race, t)) {
      const lap = t + 1;
      if (lap > lastLap.get(f.driverId)!) continue;
      byDriver.get(f.driverId)!.push({ lap, forecastAfterLap: t, pPit: f.withinLaps['1'], pitted: stops.get(f.driverId)!.has(lap) });
    }
  }
  return [...byDriver].map(([driverId, laps]) => ({ driverId, lastLap: Math.max(0, lastLap.get(driverId)!), laps }));
}

/** Per driver with a lap t: its window built from only what was known at its decision point. */
function cutWindows(race: RaceInput, t: number, w: number, whole: DriverSequence[], ends: ReturnType<typeof rowEnds>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const seq of whole) {
    const index = seq.laps.indexOf(t);
    if (index < 0) continue;
    const cut = buildSequences(knownAt(race, seq.driverId, t, seq.decisionMs[index]!, ends)).find((s) => s.driverId === seq.driverId)!;
    out.set(seq.driverId, Array.from(windowAt(cut, index, w)));
  }
  return out;
}

const lapsOf = (race: RaceInput) => [...new Set(race.laps.map((l) => l.lap))].sort((a, b) => a - b);

/** Every window of every lap (or every `step`th) equals the one built from the race cut at the decision point, bit for bit. */
function expectSameWindows(race: RaceInput, w: number, step = 1): number {
  const whole = buildSequences(race);
  const ends = rowEnds(race);
  let windows = 0;
  const laps = lapsOf(race).filter((_, i) => i % step === 0);
  for (const { lap, rows } of replayWindows(race, w, laps, whole)) {
    const expected = cutWindows(race, lap, w, whole, ends);
    expect(rows.map((r) => r.driverId).sort(), `drivers at lap ${lap}`).toEqual([...expected.keys()].sort());
    for (const r of rows) expect(Array.from(r.window), `driver ${r.driverId} lap ${lap}`).toEqual(expected.get(r.driverId));
    windows += rows.length;
  }
  return windows;
}

function expectSameTimeline(actual: PitTimelineDriver[], expected: PitTimelineDriver[]) {
  const byId = (xs: PitTimelineDriver[]) => [...xs].sort((a, b) => a.driverId - b.driverId);
  const a = byId(actual);
  const e = byId(expected);
  expect(a.map((d) => [d.driverId, d.lastLap, d.laps.length])).toEqual(e.map((d) => [d.driverId, d.lastLap, d.laps.length]));
  let cells = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i]!.laps.length; j++) {
      const x = a[i]!.laps[j]!;
      const y = e[i]!.laps[j]!;
      expect({ ...x, pPit: 0 }, `driver ${a[i]!.driverId} cell ${j}`).toEqual({ ...y, pPit: 0 });
      expect(Math.abs(x.pPit - y.pPit), `driver ${a[i]!.driverId} lap ${x.lap}`).toBeLessThanOrEqual(1e-6);
      cells++;
    }
  }
  return cells;
}

const TOTAL = 30;
const plain = syntheticRace({ totalLaps: TOTAL, scLap: 10, cars: fourCars });
/**
 * Car 4's data starts at lap 14: cut before it, the race has 3 cars, so fieldAheadOnStops
 * of laps after car 3's stop on lap 8 (and car 1's on 12) divides by 2, not 3.
 */
const lateStart: RaceInput = { ...plain, laps: plain.laps.filter((l) => l.driverId !== 4 || l.lap >= 14) };
/**
 * No stored verdicts and a hole in car 3's data after its pit-in on lap 8 (laps 9–11
 * missing): cut at laps 9–11, lap 8 is car 3's last lap, so the pit-in is no stop there,
 * while the whole race derives a stop. Car 1 has no pit flags at all (stints only), and
 * some lap times are missing (the field median fills them).
 */
const derived: RaceInput = {
  ...plain,
  laps: plain.laps
    .filter((l) => !(l.driverId === 3 && l.lap >= 9 && l.lap <= 11))
    .map((l) => ({ ...l, pitStop: null, ...(l.driverId === 1 ? { pitIn: null, pitOut: null } : {}), ...(l.lap % 7 === 0 && l.driverId === 2 ? { timeMs: null } : {}) })),
};
const flagged: RaceInput = { ...plain, laps: plain.laps.map((l) => ({ ...l, pitStop: fourCars.find((c) => c.driverId === l.driverId)!.stops.includes(l.lap) })) };

describe('timeline replay: the windows of lap t from the whole race equal those of the race cut at each decision point', () => {
  it('on a race whose every car runs every lap', () => {
    expect(expectSameWindows(plain, 5)).toBe(4 * 30);
    expect(expectSameWindows(flagged, 12)).toBe(4 * 30);
  });

  it('where a car is not in the race yet (fieldAheadOnStops counts the cars seen so far)', () => {
    const f = buildSequences(lateStart);
    expect(f.find((s) => s.driverId === 4)!.laps[0]).toBe(14);
    expect(expectSameWindows(lateStart, 5)).toBe(3 * 30 + 17);
  });

  it("where a derived stop verdict needs the car's next lap (a hole after a pit-in)", () => {
    expect(expectSameWindows(derived, 5)).toBe(4 * 30 - 3);
    // The whole race does derive the stop the cut race does not.
    expect(buildSequences(derived).find((s) => s.driverId === 3)!.stops).toContain(8);
  });
});

describe('timeline equals the per-lap forecasts', () => {
  let small: LoadedPitModel;
  let large: LoadedPitModel;
  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
    small = { version: 'pit-test', model: buildPitModel({ window: 5, units: 4, hidden: 4 }), window: 5, threshold: 0.2 };
    large = { version: 'pit-test', model: buildPitModel(defaultModelOptions), window: defaultModelOptions.window, threshold: 0.2 };
  });
  afterAll(() => {
    small?.model.dispose();
    large?.model.dispose();
  });

  it('cell for cell on synthetic races, in chunks of any size', async () => {
    for (const race of [plain, lateStart, derived, flagged]) {
      for (const loaded of [small, large]) {
        const expected = referenceTimeline(loaded, race, new Map([[2, 25]]));
        for (const chunk of [1, 7, 256]) {
          expect(expectSameTimeline(await pitTimeline(loaded, race, new Map([[2, 25]]), async () => {}, chunk), expected)).toBeGreaterThan(90);
        }
      }
    }
  });

  it('calls the model once per chunk, with a turn before each call', async () => {
    let pauses = 0;
    await pitTimeline(small, plain, new Map(), async () => void pauses++, 12);
    // 4 cars × 29 forecast laps: a call after every third lap (12 windows), 10 calls, and the turn after building.
    expect(pauses).toBe(1 + Math.ceil(29 / 3));
  });
});

const data = requireData();
const pglite = backends.find((b) => b.name === 'pglite')!;

describe.skipIf(data.skip)('timeline equals the per-lap forecasts on a real race (2024 Dutch GP)', () => {
  let db: Database;
  let race: RaceInput;
  let loaded: LoadedPitModel;
  let lastLaps: Map<number, number>;
  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
    loaded = { version: 'pit-test', model: buildPitModel(defaultModelOptions), window: defaultModelOptions.window, threshold: 0.2 };
    db = await pglite.open();
    const repo = createRepository(db.knex);
    const dump = await readDump(await openDumpSource(ergastDir));
    const run = await repo.ingestionRuns.start('dump', {});
    await loadRecords(repo, sliceBatch(dump.batch, (s, r) => s === 2024 && r === 15), { run, source: 'dump' });
    const races = (await repo.races.list()).map((r) => ({ season: r.season, round: r.round, name: r.name, date: r.sessions.race.date }));
    const context = { races, entrants: await repo.reference.raceEntrants(), openf1Sessions: JSON.parse(await fs.readFile(openf1SessionsFile, 'utf8')) };
    const read = await readLapFiles([fastf1File(2024), f1PaceFile, openf1StintsFile], context);
    const laps = { ...read.batch, laps: read.batch.laps!.filter((l) => l.season === 2024 && l.round === 15), rejected: [] };
    const lapRun = await repo.ingestionRuns.start('laps', {});
    await loadRecords(repo, laps, { run: lapRun, source: 'laps' });
    const stored = (await repo.races.list()).find((r) => r.season === 2024 && r.round === 15)!;
    const input = await loadPitRace(repo, stored);
    if ('skip' in input) throw new Error(`2024 Dutch GP not usable: ${input.skip}`);
    race = input;
    lastLaps = new Map((await repo.reference.results(stored.id)).map((r) => [r.driverId, r.laps]));
  }, 240_000);
  afterAll(async () => {
    loaded?.model.dispose();
    await db?.close();
  });

  it('has the same window for every car on every 8th lap as the race cut at its decision point', () => {
    expect(race.laps.length).toBeGreaterThan(1000);
    expect(expectSameWindows(race, defaultModelOptions.window, 8)).toBeGreaterThan(150);
  }, 120_000);

  it('has the same cell for every car on every lap', async () => {
    const expected = referenceTimeline(loaded, race, lastLaps);
    const cells = expectSameTimeline(await pitTimeline(loaded, race, lastLaps), expected);
    expect(cells).toBeGreaterThan(1000);
  }, 120_000);
});
