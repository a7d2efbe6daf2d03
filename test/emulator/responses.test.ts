import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SimulatedClock } from '../../shared/clock.js';
import { mrDataPage } from '../../shared/clients/jolpica-schemas.js';
import { openf1Lap, openf1Pit, openf1Session, openf1Stint, openf1Weather } from '../../shared/clients/openf1-schemas.js';
import { PUBLISH_DELAYS, startUpstreamEmulator, type UpstreamEmulator } from '../../shared/emulator/upstream-emulator.js';
import { readErgastCsv } from '../ingest/helpers.js';
import { loadRecordings, type Recording } from '../helpers/replay-server.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { shapeOf } from './shape.js';

const data = requireData();

type Mr = { MRData: Record<string, unknown> & { total: string; RaceTable?: { Races: Record<string, unknown>[] }; StandingsTable?: { StandingsLists: Record<string, unknown>[] } } };

describe.skipIf(data.skip)('upstream emulator: its responses against the real recordings', () => {
  let emulator: UpstreamEmulator;
  let recordings: Map<string, Recording>;
  // After every season in the data: everything is published.
  const clock = new SimulatedClock(new Date('2026-11-22T00:00:00Z'));
  const recorded = (key: string) => JSON.parse(recordings.get(key)!.body) as Mr;
  const jolpica = async (p: string) => {
    const res = await fetch(`${emulator.jolpicaBaseUrl}/${p}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Mr;
  };
  const openf1 = async (p: string) => {
    const res = await fetch(`${emulator.openf1BaseUrl}/${p}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  /** Both parse with the client's schema, with no row set aside, and have the same shape below MRData. */
  const sameShape = (emulated: Mr, real: Mr) => {
    for (const page of [emulated, real]) {
      const parsed = mrDataPage.parse(page).MRData;
      expect([...(parsed.RaceTable?.Races ?? []), ...(parsed.StandingsTable?.StandingsLists ?? [])].flatMap((r) => r.invalid)).toEqual([]);
    }
    expect(shapeOf(emulated)).toEqual(shapeOf(real));
  };

  beforeAll(async () => {
    recordings = loadRecordings(path.join(dataDir, 'api-replay'));
    emulator = await startUpstreamEmulator({ dataDir, clock, faults: { seed: 1, throttleRate: 0, errorRate: 0 } });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('2023 schedule: same shape as Ergast’s recording, same race and session dates and times', async () => {
    const real = recorded('/ergast/f1/2023.json?limit=30&offset=0');
    const emulated = await jolpica('2023.json?limit=30&offset=0');
    sameShape(emulated, real);
    expect(emulated.MRData.total).toBe(real.MRData.total);
    const sessions = (m: Mr) =>
      m.MRData.RaceTable!.Races.map(({ round, date, time, raceName, FirstPractice, SecondPractice, ThirdPractice, Qualifying, Sprint }) => ({
        round, date, time, raceName, FirstPractice, SecondPractice, ThirdPractice, Qualifying, Sprint,
      }));
    expect(sessions(emulated)).toEqual(sessions(real));
  });

  it('2023 R9 results: same shape and the same rows, value for value', async () => {
    const real = recorded('/ergast/f1/2023/9/results.json?limit=30&offset=0');
    const emulated = await jolpica('2023/9/results.json?limit=30&offset=0');
    sameShape(emulated, real);
    expect(emulated.MRData.total).toBe(real.MRData.total);
    expect(emulated.MRData.RaceTable!.Races[0]!.Results).toEqual(real.MRData.RaceTable!.Races[0]!.Results);
  });

  it('2023 R18 pit stops: same shape; the 30 recorded stops are among the emulator’s and the totals agree', async () => {
    const real = recorded('/ergast/f1/2023/18/pitstops.json?limit=30&offset=0');
    const first = await jolpica('2023/18/pitstops.json?limit=30&offset=0');
    sameShape(first, real);
    expect(first.MRData.total).toBe(real.MRData.total);
    const rest = await jolpica('2023/18/pitstops.json?limit=30&offset=30');
    const all = [first, rest].flatMap((p) => p.MRData.RaceTable!.Races.flatMap((r) => r.PitStops as unknown[]));
    expect(all).toHaveLength(Number(real.MRData.total));
    expect(all).toEqual(expect.arrayContaining(real.MRData.RaceTable!.Races[0]!.PitStops as unknown[]));
  });

  it('standings: 2023 R22 drivers’ and 2021’s last constructors’ championships equal their recordings', async () => {
    const drivers = recorded('/ergast/f1/2023/22/driverstandings.json?limit=30&offset=0');
    const d = await jolpica('2023/22/driverStandings.json?limit=30&offset=0');
    sameShape(d, drivers);
    // The dump gives each driver's number as of its end (2024): Lawson raced 2023 as 40, the dump says 30.
    const withoutNumbers = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'permanentNumber' ? undefined : x))) as unknown;
    expect(withoutNumbers(d.MRData.StandingsTable)).toEqual(withoutNumbers(drivers.MRData.StandingsTable));
    const teams = recorded('/ergast/f1/2021/last/constructorstandings.json?limit=40&offset=0');
    const c = await jolpica('2021/last/constructorStandings.json?limit=40');
    sameShape(c, teams);
    expect(c.MRData.StandingsTable).toEqual(teams.MRData.StandingsTable);
  });

  it('qualifying of 2004 R1 and 2015 R16, and 2023’s sprint winners: same shapes and rows', async () => {
    for (const p of ['2004/1/qualifying', '2015/16/qualifying']) {
      const real = recorded(`/ergast/f1/${p}.json?limit=40&offset=0`);
      const emulated = await jolpica(`${p}.json?limit=40`);
      sameShape(emulated, real);
      // Jolpica has since recoded 2015's Marussia entry as Manor (constructorId manor); the Ergast dump keeps marussia.
      const rows = (m: Mr) => (m.MRData.RaceTable!.Races[0]!.QualifyingResults as Record<string, unknown>[]).map(({ Constructor: _team, ...row }) => row);
      expect(rows(emulated)).toEqual(rows(real));
    }
    // Recorded as /2023/sprint/1 (the winner of each sprint): the emulator's full sprint tables hold those rows.
    const winners = recorded('/ergast/f1/2023/sprint/1.json?limit=30&offset=0');
    const season = await jolpica('2023/sprint.json?limit=100');
    // 6 sprints of 20 rows: the sixth race is on the second page.
    const second = await jolpica('2023/sprint.json?limit=100&offset=100');
    const races = [...season.MRData.RaceTable!.Races, ...second.MRData.RaceTable!.Races.filter((r) => r.round !== season.MRData.RaceTable!.Races.at(-1)!.round)];
    expect(races).toHaveLength(6);
    const firsts = { ...season, MRData: { ...season.MRData, RaceTable: { ...season.MRData.RaceTable, Races: races.map((r) => ({ ...r, SprintResults: (r.SprintResults as unknown[]).slice(0, 1) })) } } };
    sameShape(firsts as Mr, winners);
    expect(firsts.MRData.RaceTable.Races.map((r) => r.SprintResults)).toEqual(winners.MRData.RaceTable!.Races.map((r) => r.SprintResults));
  });

  it('laps: the emulator’s 2024 Ergast timings have the shape of the recorded 2021 R12 and 2023 R1 pages; 2023 has none', async () => {
    const emulated = await jolpica('2024/1/laps.json?limit=30&offset=0');
    expect(Number(emulated.MRData.total)).toBe((await readLapRows()).filter((r) => r.round === '1').length);
    sameShape(emulated, recorded('/ergast/f1/2023/1/laps.json?limit=30&offset=0'));
    sameShape(await jolpica('2024/12/laps.json?limit=100'), recorded('/ergast/f1/2021/12/laps.json?limit=100&offset=0'));
    expect((await jolpica('2023/1/laps.json')).MRData).toMatchObject({ total: '0', RaceTable: { Races: [] } });
  });

  it('OpenF1 sessions, stints, laps, pit and weather parse with the client’s schemas and have the recorded shapes', async () => {
    const cases: [string, string, z.ZodType][] = [
      ['sessions', '/v1/sessions', openf1Session],
      ['stints?session_key=9488', '/v1/stints?session_key=9488', openf1Stint],
      ['laps?session_key=9488', '/v1/laps?session_key=9488', openf1Lap],
      ['pit?session_key=9488', '/v1/pit?session_key=9488', openf1Pit],
      ['weather?meeting_key=1208', '/v1/weather?meeting_key=1208', openf1Weather],
    ];
    for (const [query, key, schema] of cases) {
      const { status, body } = await openf1(query);
      expect(status, query).toBe(200);
      const real = JSON.parse(recordings.get(key)!.body) as unknown[];
      expect(() => z.array(schema).parse(body), query).not.toThrow();
      expect(() => z.array(schema).parse(real), query).not.toThrow();
      expect(shapeOf(body), query).toEqual(shapeOf(real));
      expect((body as unknown[]).length, query).toBe(real.length);
    }
    // Stints come from the 2024 season file, not the recording: the same stints of the same race.
    const key = (s: { driver_number: number; stint_number: number; compound: string | null }) => `${s.driver_number}/${s.stint_number}/${s.compound}`;
    const stints = (await openf1('stints?session_key=9488')).body as z.infer<typeof openf1Stint>[];
    const realStints = JSON.parse(recordings.get('/v1/stints?session_key=9488')!.body) as z.infer<typeof openf1Stint>[];
    expect(stints.map(key).sort()).toEqual(realStints.map(key).sort());
    // Nothing recorded for race control: OpenF1's real empty answer.
    expect(await openf1('race_control?session_key=9488')).toEqual({ status: 404, body: { detail: 'No results found.' } });
  });
});

describe.skipIf(data.skip)('upstream emulator: publication on the clock', () => {
  let emulator: UpstreamEmulator;
  const clock = new SimulatedClock(new Date('2023-12-01T00:00:00Z'));
  const page = async (p: string) => ((await (await fetch(`${emulator.jolpicaBaseUrl}/${p}`)).json()) as Mr).MRData;
  const minutes = (m: number) => m * 60_000;
  // 2024 R1 Bahrain: qualifying 2024-03-01 16:00Z, race 2024-03-02 15:00Z; Bahrain's race session is OpenF1 9472.
  const raceStart = Date.parse('2024-03-02T15:00:00Z');
  const qualiStart = Date.parse('2024-03-01T16:00:00Z');

  beforeAll(async () => {
    emulator = await startUpstreamEmulator({ dataDir, clock, seasons: [2024], faults: { seed: 1, throttleRate: 0, errorRate: 0 } });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('a round’s results are empty before publication and complete after; the schedule is always visible', async () => {
    const raceId = (await readErgastCsv('races')).find((r) => r.year === '2024' && r.round === '1')!.raceId;
    const expectedRows = (await readErgastCsv('results')).filter((r) => r.raceId === raceId).length;
    expect((await page('2024.json')).total).toBe('24');
    expect((await page('2023.json')).total).toBe('0'); // a season not served
    const published = raceStart + minutes(PUBLISH_DELAYS.results.sessionMinutes + PUBLISH_DELAYS.results.delayMinutes);

    clock.set(new Date(raceStart + minutes(30)));
    expect(await page('2024/1/results.json')).toMatchObject({ total: '0', RaceTable: { season: '2024', round: '1', Races: [] } });
    expect((await page('2024/1/qualifying.json')).total).toBe('20');
    clock.set(new Date(published - 1000));
    expect((await page('2024/1/results.json')).total).toBe('0');
    clock.set(new Date(published));
    const results = await page('2024/1/results.json');
    expect(Number(results.total)).toBe(expectedRows);
    expect((results.RaceTable!.Races[0]!.Results as unknown[]).length).toBe(expectedRows);
    // Laps and standings come later than the classification.
    expect((await page('2024/1/laps.json')).total).toBe('0');
    expect((await page('2024/1/driverStandings.json')).total).toBe('0');
    clock.set(new Date(raceStart + minutes(PUBLISH_DELAYS.laps.sessionMinutes + PUBLISH_DELAYS.laps.delayMinutes)));
    expect(Number((await page('2024/1/laps.json')).total)).toBeGreaterThan(1000);
    expect(Number((await page('2024/1/driverStandings.json')).total)).toBe(20);
  });

  it('qualifying is empty until its delay has passed; OpenF1 race data waits for the session’s end', async () => {
    clock.set(new Date(qualiStart + minutes(PUBLISH_DELAYS.qualifying.sessionMinutes + PUBLISH_DELAYS.qualifying.delayMinutes) - 1000));
    expect((await page('2024/1/qualifying.json')).total).toBe('0');
    clock.set(new Date(qualiStart + minutes(PUBLISH_DELAYS.qualifying.sessionMinutes + PUBLISH_DELAYS.qualifying.delayMinutes)));
    expect((await page('2024/1/qualifying.json')).total).toBe('20');

    const sessions = (await (await fetch(`${emulator.openf1BaseUrl}/sessions?session_key=9472`)).json()) as { date_end: string; session_name: string }[];
    expect(sessions).toMatchObject([{ session_name: 'Race' }]);
    const end = Date.parse(sessions[0]!.date_end);
    clock.set(new Date(end));
    expect((await fetch(`${emulator.openf1BaseUrl}/stints?session_key=9472`)).status).toBe(404);
    clock.set(new Date(end + minutes(PUBLISH_DELAYS.openf1.delayMinutes)));
    const stints = (await (await fetch(`${emulator.openf1BaseUrl}/stints?session_key=9472`)).json()) as unknown[];
    expect(stints.length).toBeGreaterThan(20);
  });
});

async function readLapRows(): Promise<Record<string, string>[]> {
  const { readDelimited, toObjects } = await import('../../shared/ingest/csv.js');
  const fs = await import('node:fs/promises');
  const parsed = readDelimited(await fs.readFile(path.join(dataDir, 'laps', 'ergast-api', 'f1-pace', 'lap_times.csv'), 'utf8'));
  return toObjects(parsed.header, parsed.rows);
}
