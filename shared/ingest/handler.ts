import type { Storage } from '@google-cloud/storage';
import { z } from 'zod';
import type { IngestSettings } from '../config/config.js';
import { json } from '../http/handler.js';
import { bind, defineRoute, refusal, writeRefusals, type BoundRoute } from '../http/route.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import type { JolpicaClient } from '../clients/jolpica.js';
import type { OpenF1Client } from '../clients/openf1.js';
import type { OpenMeteoClient } from '../clients/open-meteo.js';
import type { Clock } from '../clock.js';
import { openf1Request } from './api/api-ingest.js';
import { ingestApis } from './api/cli-flags.js';
import { jolpicaRequest } from './api/jolpica-ingest.js';
import { refreshRaceWeather } from './api/race-weather.js';
import { ingestFiles, ingestFileFields, type IngestOutcome } from './ingest.js';
import { checkIngestPaths } from './ingest-paths.js';

/** The ingest function's answer: one run per source, each succeeded or failed with its reason. */
export const ingestOutcomeBody = z.object({
  runs: z.array(
    z.object({
      runId: z.number().int(),
      source: z.string(),
      status: z.enum(['succeeded', 'failed']),
      tables: z.record(z.string(), z.unknown()).describe('per table: rows read, written, quarantined'),
      error: z.string().optional(),
    }),
  ),
  weather: z
    .object({
      status: z.enum(['stored', 'not_in_range', 'unavailable']),
      fetchedAt: z.string().optional(),
      summary: z.record(z.string(), z.unknown()).optional().describe('the race window: temperature, precipitation probability and amount, wind, humidity'),
      reason: z.string().optional(),
      availableFrom: z.string().optional().describe('not_in_range: the first day a forecast can be fetched'),
    })
    .optional()
    .describe('the race-day forecast refresh, when the body asked for weather'),
});

/** A race-day forecast refresh (the scheduler's every-6-hours job before the freeze). */
export const weatherRequest = z.object({ season: z.number().int().min(1950).max(2100), round: z.number().int().min(1).max(40) }).strict();

/** Files (an Ergast dump, lap exports) from the configured roots, and/or Jolpica and OpenF1 data. */
export const ingestBody = ingestFileFields
  .extend({ jolpica: jolpicaRequest.optional(), openf1: openf1Request.optional(), weather: weatherRequest.optional() })
  .strict()
  .refine((b) => b.dump || b.laps || b.jolpica || b.openf1 || b.weather, { message: 'give at least one of dump, laps, jolpica, openf1, weather' });

export const ingestRoutes = {
  ingest: defineRoute({
    method: 'POST',
    path: '/',
    summary: 'Ingest files (an Ergast dump, lap exports) from configured roots, and/or Jolpica and OpenF1 data',
    body: ingestBody,
    write: true,
    responses: {
      200: { description: 'one run per source, each succeeded or failed with its reason', schema: ingestOutcomeBody },
      503: refusal('a part the request requires (jolpica.require) is not published yet: the rest is stored; retry after Retry-After'),
      ...writeRefusals,
    },
  }),
};

export interface IngestFunctionDeps {
  repo: Repository;
  logger: Logger;
  clock: Clock;
  /** Where local paths and gs:// buckets may be read from, and the zip caps (config `ingest`). */
  ingest: IngestSettings;
  storage: Pick<Storage, 'bucket'>;
  jolpica: JolpicaClient;
  openf1: OpenF1Client;
  /** For `weather` requests; without it they are refused. */
  openMeteo?: OpenMeteoClient;
}

/** POST /ingest {dump?, laps?, openf1Sessions?, racesPerTransaction?, jolpica?, openf1?} → per-run summary. */
export function ingestFunction(deps: IngestFunctionDeps): BoundRoute[] {
  return [
    bind(ingestRoutes.ingest, async ({ body }) => {
      const { jolpica, openf1, weather, ...files } = body;
      const hasFiles = Object.keys(files).length > 0;
      if (hasFiles && !files.dump && !files.laps) throw new ValidationError('give at least one of dump, laps (openf1Sessions and racesPerTransaction go with them)');
      const request = hasFiles ? { ...files } : undefined;
      if (request) await checkIngestPaths(request, deps.ingest);
      const base = { repo: deps.repo, logger: deps.logger, zipLimits: deps.ingest.zip, storage: deps.storage };
      const outcome: IngestOutcome = request ? await ingestFiles(base, request) : { runs: [] };
      if (jolpica || openf1) {
        const api = { ...(jolpica ? { jolpica } : {}), ...(openf1 ? { openf1 } : {}) };
        outcome.runs.push(...(await ingestApis({ ...base, jolpica: deps.jolpica, openf1: deps.openf1, now: () => deps.clock.now() }, api)));
      }
      return json(200, weather ? { ...outcome, weather: await weatherOutcome(deps, weather) } : outcome);
    }),
  ];
}

async function weatherOutcome(deps: IngestFunctionDeps, request: z.infer<typeof weatherRequest>): Promise<NonNullable<z.infer<typeof ingestOutcomeBody>['weather']>> {
  if (!deps.openMeteo) throw new ValidationError('this ingest function has no Open-Meteo client (OPEN_METEO_BASE_URL): weather cannot be refreshed');
  const race = (await deps.repo.races.listSeason(request.season)).find((r) => r.round === request.round);
  if (!race) throw new NotFoundError('race', `${request.season} round ${request.round}`, 'ingest the season calendar first');
  const done = await refreshRaceWeather({ repo: deps.repo, openMeteo: deps.openMeteo, clock: deps.clock, logger: deps.logger }, race);
  if (done.status === 'stored') return { status: 'stored', fetchedAt: done.forecast.fetchedAt.toISOString(), summary: { ...done.forecast.summary } };
  if (done.status === 'not_in_range') return { status: 'not_in_range', reason: done.reason, availableFrom: done.availableFrom.toISOString().slice(0, 10) };
  return { status: 'unavailable', reason: done.reason };
}
