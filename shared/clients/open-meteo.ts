import { z } from 'zod';
import type { WeatherHour } from '../domain/weather.js';
import type { HttpClient } from './http-client.js';
import type { BucketSpec } from './pacer.js';
import { zodParser } from './zod-parse.js';

/**
 * Open-Meteo forecast API client (GET {base}/forecast, no key). Asked for hourly values in
 * GMT between two dates, it answers parallel arrays under `hourly` (one entry per hour of
 * `hourly.time`, "YYYY-MM-DDTHH:MM" in the requested timezone) with their units under
 * `hourly_units`; a refused request is 400 {"error": true, "reason": "..."}.
 */

/** Open-Meteo's free tier: 600 calls a minute, 5,000 an hour (pitwall asks a few a day). */
export const openMeteoLimits: BucketSpec[] = [
  { capacity: 10, perSecond: 10 },
  { capacity: 600, perSecond: 600 / 60 },
  { capacity: 5_000, perSecond: 5_000 / 3600 },
];

export const OPEN_METEO_HOURLY = ['temperature_2m', 'relative_humidity_2m', 'precipitation_probability', 'precipitation', 'wind_speed_10m'] as const;

const series = z.array(z.number().nullable());
export const openMeteoForecastBody = z.object({
  latitude: z.number(),
  longitude: z.number(),
  utc_offset_seconds: z.literal(0, { message: 'pitwall asks for timezone=GMT' }),
  hourly_units: z.object({ temperature_2m: z.literal('°C'), wind_speed_10m: z.literal('km/h'), precipitation: z.literal('mm') }).passthrough(),
  hourly: z
    .object({
      time: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be YYYY-MM-DDTHH:MM')),
      temperature_2m: series,
      relative_humidity_2m: series,
      precipitation_probability: series,
      precipitation: series,
      wind_speed_10m: series,
    })
    .refine((h) => OPEN_METEO_HOURLY.every((k) => h[k].length === h.time.length), { message: 'every hourly series must be as long as hourly.time' }),
});

export interface OpenMeteoForecastQuery {
  latitude: number;
  longitude: number;
  /** UTC dates, inclusive. */
  startDate: string;
  endDate: string;
}

export interface OpenMeteoForecast {
  /** The grid cell Open-Meteo answered for (near the asked point). */
  latitude: number;
  longitude: number;
  hours: WeatherHour[];
}

export interface OpenMeteoClient {
  /** `deadlineAt` (the HTTP client's clock, ms): no wait or retry past it. */
  forecast(query: OpenMeteoForecastQuery, options?: { deadlineAt?: number }): Promise<OpenMeteoForecast>;
}

export function createOpenMeteoClient(options: { http: HttpClient; baseUrl: string }): OpenMeteoClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const parse = zodParser(openMeteoForecastBody);
  return {
    async forecast(q, opts = {}) {
      const params = new URLSearchParams({
        latitude: String(q.latitude),
        longitude: String(q.longitude),
        hourly: OPEN_METEO_HOURLY.join(','),
        timezone: 'GMT',
        start_date: q.startDate,
        end_date: q.endDate,
      });
      // A forecast changes with every model run: never answered from the cache.
      const body = await options.http.getJson(`${baseUrl}/forecast?${params.toString()}`, parse, { noCache: true, ...(opts.deadlineAt !== undefined ? { deadlineAt: opts.deadlineAt } : {}) });
      const h = body.hourly;
      return {
        latitude: body.latitude,
        longitude: body.longitude,
        hours: h.time.map((t, i) => ({
          time: new Date(`${t}:00Z`).toISOString(),
          temperature: h.temperature_2m[i] ?? null,
          humidity: h.relative_humidity_2m[i] ?? null,
          precipitationProbability: h.precipitation_probability[i] ?? null,
          precipitation: h.precipitation[i] ?? null,
          windSpeed: h.wind_speed_10m[i] ?? null,
        })),
      };
    },
  };
}
