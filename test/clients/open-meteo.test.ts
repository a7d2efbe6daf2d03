import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/clients/http-client.js';
import { createOpenMeteoClient, OPEN_METEO_HOURLY, openMeteoLimits } from '../../shared/clients/open-meteo.js';
import { UpstreamError } from '../../shared/errors.js';
import { forecastFixture, startOpenMeteoServer, type OpenMeteoServer } from '../helpers/open-meteo-server.js';
import { virtualClock } from './virtual-clock.js';

const fixture = JSON.parse(fs.readFileSync(forecastFixture, 'utf8')) as { latitude: number; longitude: number; hourly: Record<string, (number | null)[]> & { time: string[] } };
const miami = { latitude: 25.9581, longitude: -80.2389, startDate: '2024-05-05', endDate: '2024-05-05' };

describe('Open-Meteo client against a local server serving the documented format', () => {
  let server: OpenMeteoServer;
  beforeAll(async () => {
    server = await startOpenMeteoServer();
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });
  const client = (maxAttempts = 3) => {
    const clock = virtualClock();
    const http = createHttpClient({ limits: openMeteoLimits, clock, random: () => 0.5, maxAttempts });
    return { clock, http, openMeteo: createOpenMeteoClient({ http, baseUrl: `${server.baseUrl}/` }) };
  };

  it('asks for the hourly variables in GMT between the dates and reads every hour', async () => {
    const { openMeteo } = client();
    const answer = await openMeteo.forecast(miami);
    const q = server.requests[0]!;
    expect(Object.fromEntries(q)).toEqual({
      latitude: '25.9581', longitude: '-80.2389', hourly: OPEN_METEO_HOURLY.join(','), timezone: 'GMT', start_date: '2024-05-05', end_date: '2024-05-05',
    });
    expect(answer).toMatchObject({ latitude: fixture.latitude, longitude: fixture.longitude });
    expect(answer.hours).toHaveLength(fixture.hourly.time.length);
    fixture.hourly.time.forEach((t, i) => {
      expect(answer.hours[i]).toEqual({
        time: `${t}:00.000Z`,
        temperature: fixture.hourly.temperature_2m![i],
        humidity: fixture.hourly.relative_humidity_2m![i],
        precipitationProbability: fixture.hourly.precipitation_probability![i],
        precipitation: fixture.hourly.precipitation![i],
        windSpeed: fixture.hourly.wind_speed_10m![i],
      });
    });
    // The fixture's missing value stays missing.
    expect(answer.hours.some((h) => h.precipitationProbability === null)).toBe(true);
  });

  it('waits out a 429 for its Retry-After, and is never answered from a cache', async () => {
    const { openMeteo, clock, http } = client();
    server.inject([{ status: 429, headers: { 'retry-after': '7' } }]);
    const answer = await openMeteo.forecast(miami);
    expect(answer.hours).toHaveLength(fixture.hourly.time.length);
    expect(clock.sleeps).toContain(7000);
    await openMeteo.forecast(miami);
    expect(http.requestsSent).toBe(3);
  });

  it('gives up on repeated 5xx with an UpstreamError after its attempts', async () => {
    const { openMeteo } = client(3);
    server.inject([{ status: 503 }, { status: 502 }, { status: 500 }]);
    const err = await openMeteo.forecast(miami).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).message).toMatch(/failed after 3 attempts: HTTP 500/);
    expect(server.requests).toHaveLength(3);
  });

  it('refuses a body that is not the documented format, and passes on the 400 reason of a refused range', async () => {
    const { openMeteo } = client();
    const short = { ...fixture, hourly: { ...fixture.hourly, wind_speed_10m: fixture.hourly.wind_speed_10m!.slice(1) } };
    server.inject([{ status: 200, body: JSON.stringify(short) }]);
    await expect(openMeteo.forecast(miami)).rejects.toThrow(/malformed response .*every hourly series must be as long as hourly.time/);
    const err = (await openMeteo.forecast({ ...miami, startDate: '2024-06-01', endDate: '2024-06-01' }).catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/out of allowed range/);
  });
});
