import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump, type DumpReadResult } from '../../shared/ingest/dump/read-dump.js';
import { readLapFiles, type LapsReadResult } from '../../shared/ingest/laps/read-laps.js';
import { loadRecords, mergeLaps } from '../../shared/ingest/load.js';
import { derivePitStops } from '../../shared/ingest/pit-flags.js';
import type { LapRecord, PitStopRecord } from '../../shared/ingest/records.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { ergastDir, f1PaceFile, fastf1File, readErgastCsv, sliceBatch } from './helpers.js';

const data = requireData();

describe.skipIf(data.skip)('known quirks of the real data', () => {
  let dump: DumpReadResult;
  beforeAll(async () => {
    dump = await readDump(await openDumpSource(ergastDir));
  });

  it('2024 Monaco pit stops with stop and lap swapped: exactly the 7 rows of SOURCES.md are fixed', async () => {
    const drivers = new Map((await readErgastCsv('drivers')).map((d) => [d.driverRef, d.driverId]));
    const fixes = dump.batch.corrections!.filter((c) => c.table === 'pit_stops');
    const raw = fixes.map((c) => c.raw as PitStopRecord);
    // SOURCES.md: 1128,822,15,2 / 1128,840,42,2 / 1128,840,48,3 / 1128,1,51,2 / 1128,830,52,2 / 1128,858,57,2 / 1128,855,70,2
    expect(raw.map((r) => `${r.season}/${r.round}/${drivers.get(r.driverRef)}/${r.stop}/${r.lap}`).sort()).toEqual(
      ['2024/8/822/15/2', '2024/8/840/42/2', '2024/8/840/48/3', '2024/8/1/51/2', '2024/8/830/52/2', '2024/8/858/57/2', '2024/8/855/70/2'].sort(),
    );
    for (const c of fixes) {
      const r = c.raw as PitStopRecord;
      expect(c.corrected).toMatchObject({ stop: r.lap, lap: r.stop });
    }
    // Afterwards every driver's stops in that race are numbered 1..n on increasing laps.
    const monaco = dump.batch.pitStops!.filter((s) => s.season === 2024 && s.round === 8);
    const byDriver = new Map<string, PitStopRecord[]>();
    for (const s of monaco) byDriver.set(s.driverRef, [...(byDriver.get(s.driverRef) ?? []), s]);
    for (const stops of byDriver.values()) {
      const sorted = stops.toSorted((a, b) => a.stop - b.stop);
      expect(sorted.map((s) => s.stop)).toEqual(sorted.map((_, i) => i + 1));
      expect(sorted.map((s) => s.lap)).toEqual(sorted.map((s) => s.lap).toSorted((a, b) => a - b));
    }
  });

  it('empty-string q2/q3 in qualifying become null, each recorded as a correction', async () => {
    const text = await fs.readFile(path.join(ergastDir, 'qualifying.csv'), 'utf8');
    const quirkyLines = text.split('\n').filter((l) => l.includes('""'));
    expect(quirkyLines.length).toBeGreaterThan(0);
    const fixes = dump.batch.corrections!.filter((c) => c.table === 'qualifying');
    expect(fixes).toHaveLength(quirkyLines.length);
    const emptyValues = quirkyLines.reduce((n, l) => n + (l.match(/""/g)?.length ?? 0), 0);
    const nulled = fixes.reduce((n, c) => n + (c.reason.match(/q\d/g)?.length ?? 0), 0);
    expect(nulled).toBe(emptyValues);
    for (const c of fixes) {
      const raw = c.raw as Record<string, string>;
      for (const q of ['q1', 'q2', 'q3'] as const) if (raw[q] === '') expect((c.corrected as Record<string, unknown>)[q]).toBeNull();
    }
  });

  it('2024 Qatar pit stops are flagged as implausible (and loaded)', () => {
    const flagged = dump.batch.warnings!.map((w) => w.raw as { season: number; round: number });
    expect(flagged).toContainEqual(expect.objectContaining({ season: 2024, round: 23 }));
    expect(dump.batch.pitStops!.some((s) => s.season === 2024 && s.round === 23)).toBe(true);
  });

  for (const backend of backends) {
    describe.skipIf(backend.skip)(`FastF1 lap numbering and pit flags on ${backend.name}`, () => {
      let db: Database;
      let repo: Repository;
      let laps: LapsReadResult;
      // Whole 2024 season: the Ergast lap file's season is recognised from its entrants.
      const races = (s: number, r: number) => (s === 2020 && r === 1) || s === 2024;
      beforeAll(async () => {
        db = await backend.open();
        repo = createRepository(db.knex);
        const run = await repo.ingestionRuns.start('dump', {});
        await loadRecords(repo, sliceBatch(dump.batch, races), { run, source: 'dump' });
        laps = await readLapFiles([fastf1File(2020), fastf1File(2024), f1PaceFile], {
          races: (await repo.races.list()).map((r) => ({ season: r.season, round: r.round, name: r.name, date: r.sessions.race.date })),
          entrants: await repo.reference.raceEntrants(),
        });
      });
      afterAll(async () => db?.close());

      it('2020 Austria: FastF1 laps offset by 3–5 laps per driver are left out with the reason', async () => {
        const source = (await fs.readFile(fastf1File(2020), 'utf8')).split('\n').slice(1).filter((l) => l.split(',')[16] === '1');
        const rejected = laps.batch.rejected!.filter((r) => /fastf1 2020 R1: .*cannot be aligned/.test(r.reason));
        expect(rejected).toHaveLength(source.length);
        expect(laps.batch.laps!.some((l) => l.season === 2020 && l.round === 1)).toBe(false);
      });

      it('2024 Monaco: FastF1 laps shifted by +1 line up with the Ergast lap times', () => {
        const correction = laps.batch.corrections!.find((c) => (c.raw as { season: number; round: number }).round === 8);
        expect(correction?.corrected).toEqual({ lapOffset: 1 });
        expect(laps.batch.corrections!.filter((c) => c.table === 'laps')).toHaveLength(1);
        const ergast = new Map(
          laps.batch.laps!.filter((l) => l.source === 'ergast' && l.round === 8).map((l) => [`${l.driverRef}/${l.lap}`, l.timeMs]),
        );
        const fastf1 = laps.batch.laps!.filter((l) => l.source === 'fastf1' && l.season === 2024 && l.round === 8 && l.timeMs);
        const same = fastf1.filter((l) => Math.abs((ergast.get(`${l.driverRef}/${l.lap}`) ?? 0) - l.timeMs!) <= 1);
        expect(same.length / fastf1.length).toBeGreaterThan(0.95);
        const unshifted = fastf1.filter((l) => Math.abs((ergast.get(`${l.driverRef}/${l.lap - 1}`) ?? 0) - l.timeMs!) <= 1);
        expect(unshifted.length / fastf1.length).toBeLessThan(0.05);
      });

      it('red-flag tyre changes and pit-lane passes keep pit_in but are not pit stops', async () => {
        const run = await repo.ingestionRuns.start('laps', {});
        const batch = { laps: laps.batch.laps!.filter((l) => l.season === 2024 && [4, 6].includes(l.round)) };
        await loadRecords(repo, batch, { run, source: 'laps' });
        const stored = [];
        for (const round of [4, 6]) {
          const race = await repo.races.bySeasonRound(2024, round);
          stored.push(...(await repo.reference.laps(race!.id)));
        }
        const red = stored.filter((l) => l.pitIn && l.trackStatus?.includes('5'));
        expect(red.length).toBeGreaterThan(0); // 2024 R4 Japan: lap-1 red flag
        expect(red.every((l) => l.pitIn === true && l.pitStop === false)).toBe(true);
        // 2024 R6 Miami, Magnussen lap 31 under SC: in and out of the pit lane on the same tyres.
        const mag = await repo.reference.laps((await repo.races.bySeasonRound(2024, 6))!.id);
        const drivers = new Map((await repo.reference.drivers()).map((d) => [d.id, d.driverRef]));
        const l31 = mag.filter((l) => drivers.get(l.driverId) === 'kevin_magnussen' && (l.lap === 31 || l.lap === 32));
        expect(l31[0]).toMatchObject({ pitIn: true, pitStop: false });
        expect(l31[1]!.compound).toBe(l31[0]!.compound);
        expect(l31[1]!.tyreLife).toBe(l31[0]!.tyreLife! + 1);
        // Ordinary stops stay stops: most pit-ins of these races are real stops.
        const ordinary = stored.filter((l) => l.pitIn && l.pitStop === true);
        expect(ordinary.length).toBeGreaterThan(red.length);
      });
    });
  }

  it('pit flags without source pit flags come from stint changes (mergeLaps + derivePitStops)', () => {
    const lap = (n: number, stint: number, compound: LapRecord['compound'], tyreLife: number): LapRecord => ({
      season: 2024, round: 19, driverRef: 'x', lap: n, stint, compound, tyreLife, source: 'openf1',
    });
    const merged = mergeLaps([lap(1, 1, 'MEDIUM', 1), lap(2, 1, 'MEDIUM', 2), lap(3, 2, 'HARD', 1), lap(4, 2, 'HARD', 2)]);
    expect(merged.map((l) => l.pitStop)).toEqual([false, true, false, null]);
    const verdicts = derivePitStops([{ lap: 10, pitIn: true }]);
    expect(verdicts.get(10)).toEqual({ pitStop: false, reason: 'last_lap' });
  });
});
