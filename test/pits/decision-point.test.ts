import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { readLapFiles } from '../../shared/ingest/laps/read-laps.js';
import { loadRecords } from '../../shared/ingest/load.js';
import { decisionTimes, lapEnds, pitEntryMarginMs, type TrackEvent } from '../../shared/pits/decision-point.js';
import { buildSequences, buildSequencesWith, featureNames, windowAt, type DriverSequence, type RaceInput } from '../../shared/pits/features.js';
import type { PitLap } from '../../shared/pits/labels.js';
import { loadPitRace } from '../../shared/pits/load.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { ergastDir, f1PaceFile, fastf1File, openf1SessionsFile, openf1StintsFile, sliceBatch } from '../ingest/helpers.js';
import { knownAt, rowEnds } from './known-at.js';
import { syntheticRace, type SyntheticCar } from './synthetic-race.js';

const f = (name: (typeof featureNames)[number]) => featureNames.indexOf(name);
const seqOf = (seqs: DriverSequence[], d: number) => seqs.find((s) => s.driverId === d)!;
const lapOf = (laps: PitLap[], d: number, lap: number) => laps.find((l) => l.driverId === d && l.lap === lap)!;

/** Each row's end on the race clock and the car's next row. */
function raceClock(race: RaceInput) {
  const byKey = new Map(race.laps.map((l) => [`${l.driverId}/${l.lap}`, l]));
  return { ends: rowEnds(race), next: new Map(race.laps.map((l) => [l, byKey.get(`${l.driverId}/${l.lap + 1}`)])) };
}

/**
 * Everything timestamped after car d's decision point D at its lap t rewritten: its own
 * laps after t, every other row that ended after D, a stop verdict (stored on the in-lap,
 * known at the end of the next lap) whose next lap ended after D, race control after D.
 * Times only grow, so a rewritten row still ends after D.
 */
function perturbedAfter(race: RaceInput, d: number, t: number, D: number, clock = raceClock(race)): RaceInput {
  const { ends, next } = clock;
  const after = (l: PitLap) => (l.driverId === d ? l.lap > t : ends.get(l)! > D);
  return {
    ...race,
    laps: race.laps.map((l) => {
      const n = next.get(l);
      const verdictLate = l.driverId === d ? l.lap >= t : n !== undefined && ends.get(n)! > D;
      const verdict = verdictLate ? { pitStop: !(l.pitStop ?? false) } : {};
      if (!after(l)) return { ...l, ...verdict };
      return {
        ...l,
        ...verdict,
        timeMs: (l.timeMs ?? 90_000) * 1.5 + 10_000,
        compound: l.compound === 'SOFT' ? ('HARD' as const) : ('SOFT' as const),
        tyreLife: (l.tyreLife ?? 0) + 13,
        trackStatus: '46',
        pitIn: !l.pitIn,
        pitOut: !l.pitOut,
        stint: (l.stint ?? 1) + 3,
        position: 21 - (l.position ?? 10),
      };
    }),
    trackEvents: [...(race.trackEvents ?? []), { atMs: D + 1, status: 'sc' }, { atMs: D + 60_000, status: 'red' }],
  };
}

describe('decision point', () => {
  it('is the end of lap t plus its lap time (capped at the best lap so far) minus the pit-entry margin, never going back', () => {
    const laps = [95_000, 91_000, 120_000, 92_000, 1_500_000, 93_000].map((timeMs, i) => ({ lap: i + 1, timeMs }) as PitLap);
    const ends = lapEnds(laps, () => 0);
    expect(ends).toEqual([95_000, 186_000, 306_000, 398_000, 1_898_000, 1_991_000]);
    const d = decisionTimes(laps, ends);
    expect(d[0]).toBe(95_000 + 95_000 - pitEntryMarginMs);
    expect(d[1]).toBe(186_000 + 91_000 - pitEntryMarginMs);
    // A safety-car lap (120 s) or a red-flag lap (25 min) does not push D past a normal lap:
    // the next lap may be a green one and the car at the pit entry before D.
    expect(d[2]).toBe(306_000 + 91_000 - pitEntryMarginMs);
    expect(d[4]).toBe(1_898_000 + 91_000 - pitEntryMarginMs);
    for (let i = 1; i < d.length; i++) expect(d[i]!).toBeGreaterThanOrEqual(d[i - 1]!);
  });

  // Car 1 leads; car 2 runs 20 s behind on the same laps (slower on lap 1).
  const cars: SyntheticCar[] = [
    { driverId: 1, constructorId: 10, stops: [12], compounds: ['MEDIUM', 'HARD'] },
    { driverId: 2, constructorId: 10, stops: [15], compounds: ['MEDIUM', 'HARD'] },
  ];
  const base = syntheticRace({ totalLaps: 20, cars });
  base.laps = base.laps.map((l) => (l.driverId === 2 && l.lap === 1 ? { ...l, timeMs: l.timeMs! + 20_000 } : l));
  const t = 8;
  const D = seqOf(buildSequences(base), 2).decisionMs[t - 1]!;

  it('sees a safety car message 1 ms before D, not 1 ms after', () => {
    const at = (events: TrackEvent[]) => seqOf(buildSequences({ ...base, trackEvents: events }), 2).features[t - 1]!;
    const before = at([{ atMs: D - 1, status: 'sc' }]);
    const after = at([{ atMs: D + 1, status: 'sc' }]);
    expect([before[f('scNew')], before[f('scNow')]]).toEqual([1, 1]);
    expect([after[f('scNew')], after[f('scNow')]]).toEqual([0, 0]);
    // Already running at the end of lap t: not new.
    const running = { ...base, laps: base.laps.map((l) => (l.lap === t ? { ...l, trackStatus: '4' } : l)) };
    const r = seqOf(buildSequences({ ...running, trackEvents: [{ atMs: D - 1, status: 'sc' }] }), 2).features[t - 1]!;
    expect([r[f('safetyCar')], r[f('scNew')], r[f('scNow')]]).toEqual([1, 0, 1]);
  });

  it("sees the leader's lap t+1 (its safety car, its pit entry) when it ended by D, not 1 ms after", () => {
    const ends = rowEnds(base);
    const leaderNext = lapOf(base.laps, 1, t + 1);
    const shifted = (by: number): RaceInput => ({
      ...base,
      laps: base.laps.map((l) => (l === leaderNext ? { ...l, timeMs: l.timeMs! + (D - ends.get(leaderNext)!) + by, trackStatus: '14', pitIn: true } : l)),
    });
    const seen = seqOf(buildSequences(shifted(0)), 2).features[t - 1]!;
    const unseen = seqOf(buildSequences(shifted(1)), 2).features[t - 1]!;
    expect([seen[f('scNew')], seen[f('carsPittedThisLap')]! > 0 ? 1 : 0, seen[f('teammatePittedThisLap')], seen[f('aheadPitted')]]).toEqual([1, 1, 1, 1]);
    expect([unseen[f('scNew')], unseen[f('carsPittedThisLap')], unseen[f('teammatePittedThisLap')], unseen[f('aheadPitted')]]).toEqual([0, 0, 0, 0]);
  });

  it('never reads the car’s own lap t+1, however early it ended', () => {
    // A lap t+1 far faster than any before would end before D: it is still the label's lap.
    const fast = { ...base, laps: base.laps.map((l) => (l.driverId === 1 && l.lap === t + 1 ? { ...l, timeMs: 10_000, trackStatus: '4', pitIn: true } : l)) };
    const a = seqOf(buildSequences(base), 1);
    const b = seqOf(buildSequences(fast), 1);
    expect(Array.from(b.features[t - 1]!)).toEqual(Array.from(a.features[t - 1]!));
  });

  it('reads the degradation on this tyre and what the two-compound rule still asks', () => {
    const s = seqOf(buildSequences(base), 2);
    // Synthetic lap times grow 80 ms a lap of tyre life, the field with them: a slope near 0
    // against the field, a one-compound stint still owing its second compound.
    expect(s.features[10]![f('stintSlopeLaps')]).toBeGreaterThan(0);
    expect(s.features[10]![f('owesCompound')]).toBe(1);
    expect(s.features[17]![f('owesCompound')]).toBe(0); // on HARD after the lap-15 stop
    const wet = { ...base, laps: base.laps.map((l) => (l.driverId === 2 && l.lap <= 3 ? { ...l, compound: 'INTERMEDIATE' as const } : l)) };
    expect(seqOf(buildSequences(wet), 2).features[10]![f('owesCompound')]).toBe(0);
  });
});

const data = requireData();
const pglite = backends.find((b) => b.name === 'pglite')!;

describe.skipIf(data.skip)('the timing rule on real races (2024 Miami and Canada: safety cars, rain)', () => {
  let db: Database;
  const races: RaceInput[] = [];
  beforeAll(async () => {
    db = await pglite.open();
    const repo = createRepository(db.knex);
    const rounds = [6, 9];
    const dump = await readDump(await openDumpSource(ergastDir));
    const run = await repo.ingestionRuns.start('dump', {});
    await loadRecords(repo, sliceBatch(dump.batch, (s, r) => s === 2024 && rounds.includes(r)), { run, source: 'dump' });
    const list = (await repo.races.list()).map((r) => ({ season: r.season, round: r.round, name: r.name, date: r.sessions.race.date }));
    const context = { races: list, entrants: await repo.reference.raceEntrants(), openf1Sessions: JSON.parse(await fs.readFile(openf1SessionsFile, 'utf8')) };
    const read = await readLapFiles([fastf1File(2024), f1PaceFile, openf1StintsFile], context);
    const laps = { ...read.batch, laps: read.batch.laps!.filter((l) => l.season === 2024 && rounds.includes(l.round)), rejected: [] };
    await loadRecords(repo, laps, { run: await repo.ingestionRuns.start('laps', {}), source: 'laps' });
    for (const stored of (await repo.races.list()).filter((r) => r.season === 2024 && rounds.includes(r.round))) {
      const input = await loadPitRace(repo, stored);
      if ('skip' in input) throw new Error(`2024 R${stored.round} not usable: ${input.skip}`);
      races.push(input);
    }
  }, 240_000);
  afterAll(async () => {
    await db?.close();
  });

  it('records input timestamps, all at or before the decision point, some from lap t+1 of cars ahead', () => {
    let fromNextLap = 0;
    let inputs = 0;
    for (const race of races) {
      for (const seq of buildSequencesWith(race, { trace: true })) {
        seq.laps.forEach((lap, i) => {
          const D = seq.decisionMs[i]!;
          expect(seq.latestInputMs[i]!).toBeLessThanOrEqual(D);
          for (const input of seq.inputs![i]!) {
            inputs++;
            expect(input.atMs, `${input.what} for car ${seq.driverId} lap ${lap}`).toBeLessThanOrEqual(D);
            if (input.what.startsWith(`lap ${lap + 1} of`)) fromNextLap++;
          }
          if (i > 0) expect(D).toBeGreaterThanOrEqual(seq.decisionMs[i - 1]!);
        });
      }
    }
    expect(inputs).toBeGreaterThan(100_000);
    expect(fromNextLap).toBeGreaterThan(1000);
  });

  it('gives the same window when every row and race-control message after D is rewritten, or cut off', async () => {
    const w = 12;
    let decisions = 0;
    let scSeen = 0;
    for (const race of races) {
      const whole = buildSequences(race);
      const clock = raceClock(race);
      const maxLap = Math.max(...race.laps.map((l) => l.lap));
      const isNew = (seq: DriverSequence, i: number) => seq.features[i]![f('scNew')]! + seq.features[i]![f('vscNew')]! > 0;
      for (let t = 2; t < maxLap; t++) {
        await new Promise((resolve) => setImmediate(resolve));
        for (const seq of whole) {
          const i = seq.laps.indexOf(t);
          // Every 6th lap, and every decision that saw a safety car or VSC deployed during lap t+1.
          if (i < 0 || (t % 6 !== 2 && !isNew(seq, i))) continue;
          const D = seq.decisionMs[i]!;
          const changed = seqOf(buildSequences(perturbedAfter(race, seq.driverId, t, D, clock)), seq.driverId);
          expect(changed.decisionMs.slice(0, i + 1), `car ${seq.driverId} lap ${t}`).toEqual(seq.decisionMs.slice(0, i + 1));
          expect(Array.from(windowAt(changed, i, w)), `car ${seq.driverId} lap ${t}`).toEqual(Array.from(windowAt(seq, i, w)));
          const cut = seqOf(buildSequences(knownAt(race, seq.driverId, t, D, clock.ends)), seq.driverId);
          expect(Array.from(windowAt(cut, i, w)), `car ${seq.driverId} lap ${t}, cut at D`).toEqual(Array.from(windowAt(seq, i, w)));
          decisions++;
          if (isNew(seq, i)) scSeen++;
        }
      }
    }
    expect(decisions).toBeGreaterThan(200);
    // Not vacuous: some of these decisions saw a safety car or VSC deployed during lap t+1.
    expect(scSeen).toBeGreaterThan(0);
  }, 240_000);
});
