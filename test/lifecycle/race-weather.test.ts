import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/clients/http-client.js';
import { createOpenMeteoClient, openMeteoLimits } from '../../shared/clients/open-meteo.js';
import { SimulatedClock } from '../../shared/clock.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { sessionStartsAt, type Race } from '../../shared/domain/reference.js';
import { HOURS_AROUND_START, raceWindowSummary, type RaceWeatherRefresh } from '../../shared/domain/weather.js';
import { refreshRaceWeather } from '../../shared/ingest/api/race-weather.js';
import { findRace, predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { forecastFixture, startOpenMeteoServer, type OpenMeteoServer } from '../helpers/open-meteo-server.js';
import { requireData } from '../helpers/settings.js';
import { createReadApi } from '../../shared/api/read-api.js';
import { routesCaller } from '../helpers/call.js';

/**
 * The race-day forecast over the real 2024 calendar and circuits: fetched from a local
 * Open-Meteo serving a fixture in the documented format (2024 Miami race day), stored per
 * fetch, and recorded by the freeze, which never fails because of it.
 */
const data = requireData();
const policy = { kind: 'post_qualifying' } as const;
const HOUR = 3_600_000;
const fixture = JSON.parse(fs.readFileSync(forecastFixture, 'utf8')) as { latitude: number; longitude: number; hourly: Record<string, (number | null)[]> & { time: string[] } };

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`race-day weather on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;
    let server: OpenMeteoServer;
    let miami: Race;

    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await loadSeasons(repo, [2024], { withResults: false });
      server = await startOpenMeteoServer();
      miami = await findRace(repo, { year: 2024, race: 'Miami' });
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });
    const api = (clock: SimulatedClock) =>
      routesCaller(createReadApi({ repo, clock, policy, currentModel: async () => 'qualifying-order-v1', health: {}, openapi: () => ({}) }));
    const refresher = (clock: SimulatedClock, baseUrl = server.baseUrl): RaceWeatherRefresh => {
      const openMeteo = createOpenMeteoClient({ http: createHttpClient({ limits: openMeteoLimits, clock, maxAttempts: 3 }), baseUrl });
      return (race, options) => refreshRaceWeather({ repo, openMeteo, clock }, race, options);
    };

    it('stores the hours around the start and the race window summary of a fetch, on the circuit coordinates', async () => {
      const clock = new SimulatedClock(new Date('2024-05-01T06:00:00Z'));
      const done = await refresher(clock)(miami);
      expect(done.status).toBe('stored');
      if (done.status !== 'stored') return;
      const circuit = (await repo.reference.circuits()).find((c) => c.id === miami.circuitId)!;
      expect(Object.fromEntries(server.requests.at(-1)!)).toMatchObject({ latitude: String(circuit.lat), longitude: String(circuit.lng), start_date: '2024-05-05', end_date: '2024-05-05' });
      const start = sessionStartsAt(miami.sessions.race);
      expect(done.forecast.hours.map((h) => h.time)).toEqual(
        Array.from({ length: 2 * HOURS_AROUND_START }, (_, i) => new Date(start.getTime() + (i - HOURS_AROUND_START) * HOUR).toISOString()),
      );
      // The race (20:00 UTC, two hours) against the fixture's own hours.
      const at = (iso: string) => fixture.hourly.time.indexOf(iso.slice(0, 16));
      const window = [at(start.toISOString()), at(new Date(start.getTime() + HOUR).toISOString())];
      const values = (k: string) => window.map((i) => fixture.hourly[k]![i]!);
      expect(done.forecast.summary).toEqual({
        from: start.toISOString(),
        to: new Date(start.getTime() + 2 * HOUR).toISOString(),
        meanTemperature: expect.closeTo((values('temperature_2m')[0]! + values('temperature_2m')[1]!) / 2, 6),
        maxPrecipitationProbability: Math.max(...values('precipitation_probability')),
        totalPrecipitation: expect.closeTo(values('precipitation')[0]! + values('precipitation')[1]!, 6),
        meanWindSpeed: expect.closeTo((values('wind_speed_10m')[0]! + values('wind_speed_10m')[1]!) / 2, 6),
        maxWindSpeed: Math.max(...values('wind_speed_10m')),
        meanHumidity: expect.closeTo((values('relative_humidity_2m')[0]! + values('relative_humidity_2m')[1]!) / 2, 6),
      });
      expect(done.forecast.summary).toEqual(raceWindowSummary(done.forecast.hours, start));
      const stored = await repo.weather.latestForecast(miami.id, clock.now());
      expect(stored).toEqual(done.forecast);
      expect(stored).toMatchObject({ fetchedAt: clock.now(), latitude: fixture.latitude, longitude: fixture.longitude });
    });

    it('a race further away than the forecast reaches is "not in the forecast range yet", with no request sent', async () => {
      const sent = server.requests.length;
      const early = await refresher(new SimulatedClock(new Date('2024-04-19T23:00:00Z')))(miami);
      expect(early).toEqual({ status: 'not_in_range', reason: expect.stringContaining('not in the forecast range yet (from 2024-04-20)'), availableFrom: new Date('2024-04-20T00:00:00Z') });
      expect(server.requests.length).toBe(sent);
      // From that day on it is fetched (a day Open-Meteo does not cover answers its 400 and the same outcome).
      expect((await refresher(new SimulatedClock(new Date('2024-04-20T00:00:00Z')))(miami)).status).toBe('stored');
      const imola = await findRace(repo, { year: 2024, race: 'Emilia' });
      const refused = await refresher(new SimulatedClock(new Date('2024-05-10T00:00:00Z')))(imola);
      expect(refused).toMatchObject({ status: 'not_in_range', reason: expect.stringContaining('out of allowed range') });
    });

    it('the freeze records the forecast it fetched, and a later read shows the same', async () => {
      const clock = new SimulatedClock(freezeWindow(miami, policy).allowedAt);
      const deps: PredictDeps = { repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo), weather: refresher(clock) };
      const { prediction, created } = await predict(deps, { year: 2024, race: 'Miami' });
      expect(created).toBe(true);
      const fetched = await repo.weather.latestForecast(miami.id, clock.now());
      expect(fetched!.fetchedAt).toEqual(freezeWindow(miami, policy).allowedAt);
      expect(prediction.weather).toEqual({
        forecast: { source: 'open-meteo', fetchedAt: fetched!.fetchedAt.toISOString(), latitude: fetched!.latitude, longitude: fetched!.longitude, hours: fetched!.hours, summary: fetched!.summary },
        reason: null,
      });
      expect((await repo.predictions.byId(prediction.id))!.weather).toEqual(prediction.weather);
      // The API's prediction body shows it (the router checks the body against its schema).
      const res = await api(clock)({ path: `/predictions/${miami.id}` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: prediction.id, weather: prediction.weather!.forecast, weatherReason: null });
    });

    it('a freeze whose fetch fails records the newest forecast fetched no later than itself, with the reason', async () => {
      const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
      const freezeAt = freezeWindow(monaco, policy).allowedAt;
      const summary = raceWindowSummary([], sessionStartsAt(monaco.sessions.race));
      const earlier = await repo.weather.saveForecast({ raceId: monaco.id, source: 'open-meteo', fetchedAt: new Date(freezeAt.getTime() - 6 * HOUR), latitude: 43.7, longitude: 7.4, hours: [], summary });
      // Fetched after the freeze instant: a freeze at that instant could not have seen it.
      await repo.weather.saveForecast({ raceId: monaco.id, source: 'open-meteo', fetchedAt: new Date(freezeAt.getTime() + HOUR), latitude: 43.7, longitude: 7.4, hours: [], summary });
      server.inject([{ status: 503 }, { status: 503 }, { status: 503 }]);
      const clock = new SimulatedClock(freezeAt);
      const { prediction, created } = await predict({ repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo), weather: refresher(clock) }, { year: 2024, race: 'Monaco' });
      expect(created).toBe(true);
      expect(prediction.weather!.forecast!.fetchedAt).toBe(earlier.fetchedAt.toISOString());
      expect(prediction.weather!.reason).toMatch(/^the forecast fetch at the freeze failed: .*503.*; recorded the newest stored forecast, fetched /);
    });

    it('a freeze whose fetch fails with no forecast stored still freezes, with weather null and the reason', async () => {
      const spain = await findRace(repo, { year: 2024, race: 'Spanish' });
      const clock = new SimulatedClock(freezeWindow(spain, policy).allowedAt);
      // Nothing listens there: every attempt is a network error.
      const closed = await startOpenMeteoServer();
      await closed.close();
      const deps: PredictDeps = { repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo), weather: refresher(clock, closed.baseUrl) };
      const { prediction, created } = await predict(deps, { year: 2024, race: 'Spanish' });
      expect(created).toBe(true);
      expect(prediction.entries.length).toBeGreaterThanOrEqual(20);
      expect(prediction.weather).toEqual({ forecast: null, reason: expect.stringMatching(/^the forecast fetch at the freeze failed: .*; no forecast was stored before the freeze$/) });
      const res = await api(clock)({ path: `/predictions/${spain.id}` });
      expect(res.body).toMatchObject({ id: prediction.id, weather: null, weatherReason: prediction.weather!.reason });
      // And a refresh that throws outright (not an HTTP failure) is just as harmless.
      const canada = await findRace(repo, { year: 2024, race: 'Canadian' });
      const boom: RaceWeatherRefresh = async () => {
        throw new Error('open-meteo client misconfigured');
      };
      const other = await predict({ repo, clock: new SimulatedClock(freezeWindow(canada, policy).allowedAt), policy, forecaster: async () => new QualifyingOrderForecaster(repo), weather: boom }, { year: 2024, race: 'Canadian' });
      expect(other.prediction.weather).toEqual({ forecast: null, reason: 'the forecast fetch at the freeze failed: open-meteo client misconfigured; no forecast was stored before the freeze' });
    });
  });
}
