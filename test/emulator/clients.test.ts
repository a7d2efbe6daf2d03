import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SimulatedClock } from '../../shared/clock.js';
import { createApiClients } from '../../shared/clients/api-clients.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../shared/emulator/upstream-emulator.js';
import { readJolpica } from '../../shared/ingest/api/jolpica-ingest.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import {
  constructorStandingRecord,
  driverStandingRecord,
  pitStopRecord,
  qualifyingRecord,
  resultRecord,
  sprintResultRecord,
  type RecordBatch,
} from '../../shared/ingest/records.js';
import { silentLogger } from '../../shared/log/logger.js';
import { readErgastCsv } from '../ingest/helpers.js';
import { dataDir, requireData } from '../helpers/settings.js';

const data = requireData();

describe.skipIf(data.skip)('upstream emulator: faults, and the project’s clients against it', () => {
  const cacheDirs: string[] = [];
  const emulators: UpstreamEmulator[] = [];
  const start = async (clock: SimulatedClock, faults: { seed: number; throttleRate: number; errorRate: number }) => {
    const e = await startUpstreamEmulator({ dataDir, clock, faults });
    emulators.push(e);
    return e;
  };
  const clientsFor = async (e: UpstreamEmulator, clock: SimulatedClock) => {
    const httpCacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-emulator-'));
    cacheDirs.push(httpCacheDir);
    // Open-Meteo (being added beside them) is not emulated: pointed at the emulator, it would answer 404.
    const config = { jolpicaBaseUrl: e.jolpicaBaseUrl, openf1BaseUrl: e.openf1BaseUrl, openMeteoBaseUrl: `${e.openf1BaseUrl}/open-meteo`, httpCacheDir };
    return createApiClients(config, silentLogger, clock);
  };
  let dump: RecordBatch;

  beforeAll(async () => {
    dump = (await readDump(await openDumpSource(path.join(dataDir, 'ergast')))).batch;
  });
  afterAll(async () => {
    await Promise.all(emulators.map((e) => e.close()));
    await Promise.all(cacheDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it('429s carry Retry-After in seconds, 5xx happen too, and the same URL never faults twice in a row', async () => {
    const e = await start(new SimulatedClock(new Date('2026-01-01T00:00:00Z')), { seed: 7, throttleRate: 0.3, errorRate: 0.2 });
    const url = `${e.jolpicaBaseUrl}/2023/9/results.json?limit=30&offset=0`;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(url);
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      await res.arrayBuffer();
    }
    const faulted = statuses.map((s) => s !== 200);
    expect(faulted.some((f, i) => f && faulted[i + 1])).toBe(false);
    expect(statuses).toContain(429);
    expect(statuses.some((s) => s >= 500)).toBe(true);
    const stats = e.stats();
    expect(stats.requests).toBe(40);
    expect(stats.throttled).toBe(statuses.filter((s) => s === 429).length);
    expect(stats.failed).toBe(statuses.filter((s) => s >= 500).length);
    expect(stats.byEndpoint['jolpica/results']).toBe(40);

    // The same seed gives the same faults.
    const again = await start(new SimulatedClock(new Date('2026-01-01T00:00:00Z')), { seed: 7, throttleRate: 0.3, errorRate: 0.2 });
    const replayed: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${again.jolpicaBaseUrl}/2023/9/results.json?limit=30&offset=0`);
      replayed.push(res.status);
      await res.arrayBuffer();
    }
    expect(replayed).toEqual(statuses);
  });

  it('the project’s JolpicaClient (createApiClients) gets through the faults: a whole season’s results arrive complete', async () => {
    const clock = new SimulatedClock(new Date('2026-01-01T00:00:00Z'));
    const e = await start(clock, { seed: 3, throttleRate: 0.25, errorRate: 0.15 });
    const { jolpica, openf1 } = await clientsFor(e, clock);
    const races = await jolpica.results({ season: 2023 });
    const raceIds = new Set((await readErgastCsv('races')).filter((r) => r.year === '2023').map((r) => r.raceId));
    const expected = (await readErgastCsv('results')).filter((r) => raceIds.has(r.raceId!)).length;
    expect(races).toHaveLength(22);
    expect(races.reduce((n, r) => n + (r.Results?.length ?? 0), 0)).toBe(expected);
    expect(await openf1.stints(9488)).not.toHaveLength(0);
    const stats = e.stats();
    expect(stats.throttled + stats.failed).toBeGreaterThan(0);
    expect(stats.byStatus['200']).toBe(stats.requests - stats.throttled - stats.failed);
  });

  /** Records as the loader validates them (trimmed, nulls normalised), without the dump's own ids. */
  const normal = <S extends z.ZodType>(schema: S, rows: unknown[] | undefined) =>
    (rows ?? [])
      .map((r) => {
        const { ergastId: _id, ...rest } = schema.parse(r) as Record<string, unknown>;
        return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== null));
      })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  it('a 2024 round read with readJolpica (all parts) gives the dump’s rows for that round; the request counts', async () => {
    // The season is over on this clock: every round is published.
    const clock = new SimulatedClock(new Date('2025-01-10T00:00:00Z'));
    const e = await start(clock, { seed: 15, throttleRate: 0.02, errorRate: 0.01 });
    const { jolpica } = await clientsFor(e, clock);
    const counts: Record<string, unknown> = {};
    // R5 China has a sprint; R8 Monaco has the seven stop/lap-swapped pit stops the dump corrects.
    for (const round of [5, 8]) {
      const before = e.stats();
      const batch = await readJolpica({ jolpica, logger: silentLogger, today: '2025-01-10' }, { season: 2024, round });
      const after = e.stats();
      counts[`R${round}`] = {
        requests: after.requests - before.requests,
        throttled: after.throttled - before.throttled,
        failed: after.failed - before.failed,
        byEndpoint: Object.fromEntries(Object.entries(after.byEndpoint).map(([k, v]) => [k, v - (before.byEndpoint[k] ?? 0)]).filter(([, v]) => Number(v) > 0)),
      };
      const theRound = (r: { season: number; round: number }) => r.season === 2024 && r.round === round;
      expect(normal(resultRecord, batch.results)).toEqual(normal(resultRecord, dump.results?.filter(theRound)));
      expect(normal(qualifyingRecord, batch.qualifying)).toEqual(normal(qualifyingRecord, dump.qualifying?.filter(theRound)));
      expect(normal(sprintResultRecord, batch.sprintResults)).toEqual(normal(sprintResultRecord, dump.sprintResults?.filter(theRound)));
      expect(normal(pitStopRecord, batch.pitStops)).toEqual(normal(pitStopRecord, dump.pitStops?.filter(theRound)));
      expect(normal(driverStandingRecord, batch.driverStandings)).toEqual(normal(driverStandingRecord, dump.driverStandings?.filter(theRound)));
      expect(normal(constructorStandingRecord, batch.constructorStandings)).toEqual(normal(constructorStandingRecord, dump.constructorStandings?.filter(theRound)));
      expect(batch.results!.length).toBeGreaterThan(0);
      expect(batch.laps!.length).toBeGreaterThan(1000);
      if (round === 5) expect(batch.sprintResults).toHaveLength(20);
      if (round === 8) expect(batch.corrections?.filter((c) => c.table === 'pit_stops')).toHaveLength(7);
    }
    console.log(`emulator requests for one 2024 round via readJolpica (all parts): ${JSON.stringify(counts)}`);
  });
});
