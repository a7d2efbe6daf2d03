import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import {
  errorBody,
  healthBody,
  metricsBody,
  modelsBody,
  personBody,
  predictionBody,
  raceIdParams,
  raceRefParams,
  raceRefQuery,
  raceSummary,
  resultsBody,
  seasonMetricsBody,
  seasonReliabilityBody,
  seasonsBody,
  seasonParams,
  seasonQuery,
  snapshotParams,
  snapshotSummary,
  standingsBody,
  syncBody,
  teamBody,
} from './schemas.js';
import { z as zod } from 'zod';

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers parse with. */
export function buildOpenApiDocument(info: { version: string; serverUrl?: string }): unknown {
  const registry = new OpenAPIRegistry();
  const content = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const errors = {
    400: content(errorBody, 'invalid parameters (the zod issues are in error.details.issues)'),
    404: content(errorBody, 'unknown id'),
  };
  const get = (path: string, summary: string, schema: z.ZodType, request: Record<string, z.ZodObject> = {}) =>
    registry.registerPath({ method: 'get', path, summary, request, responses: { 200: content(schema, summary), ...errors } });

  get('/predictions/{raceId}', 'The official forecast of a race: its first forecast under the freeze policy (ETag, Cache-Control; 304 on If-None-Match)', predictionBody, { params: raceIdParams });
  get('/predictions/{raceId}/snapshots', 'Every snapshot of a race: official, superseded and retrospective', zod.object({ raceId: zod.number(), race: zod.string(), snapshots: zod.array(snapshotSummary) }), { params: raceIdParams });
  get('/predictions/{raceId}/snapshots/{id}', 'One snapshot of a race by id', predictionBody, { params: snapshotParams });
  get('/results/{raceId}', 'The official classification of a race', resultsBody, { params: raceIdParams });
  get('/metrics/{raceId}', 'The evaluation of the official forecast of a race', metricsBody, { params: raceIdParams });
  get('/metrics/season/{year}', 'Race-by-race accuracy of a season beside the grid-order baseline', seasonMetricsBody, { params: seasonParams });
  get('/metrics/season/{year}/reliability', 'Forecast probability against observed frequency, binned, over a season', seasonReliabilityBody, { params: seasonParams });
  get('/seasons', 'Seasons with races, newest first', seasonsBody);
  get('/races', 'The races of a season with their freeze status', zod.object({ season: zod.number(), races: zod.array(raceSummary) }), { query: seasonQuery });
  get('/races/upcoming', 'The next three races with their freeze status', zod.object({ now: zod.string(), races: zod.array(raceSummary), note: zod.string().nullable() }));
  get('/drivers', 'Drivers of a season', zod.object({ season: zod.number(), drivers: zod.array(personBody) }), { query: seasonQuery });
  get('/teams', 'Teams of a season', zod.object({ season: zod.number(), teams: zod.array(teamBody) }), { query: seasonQuery });
  get('/standings', 'Championship standings after the latest round with standings', standingsBody, { query: seasonQuery });
  get('/models', 'Model versions and their evaluated performance', modelsBody);
  get('/health', 'Database, model and artifact store checks (503 when degraded)', healthBody);

  const write = { 401: content(errorBody, 'unauthenticated (outside local dev)'), ...errors };
  registry.registerPath({
    method: 'post',
    path: '/predict',
    summary: 'Freeze the forecast of a race (idempotent per race, model version, policy and kind)',
    request: { query: raceRefQuery },
    responses: {
      200: content(predictionBody, 'the already frozen snapshot'),
      201: content(predictionBody, 'frozen by this call'),
      409: content(errorBody, 'the freeze policy does not allow it yet (details.allowedAt), or the race started with no forecast frozen (ask for retrospective=true)'),
      ...write,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/results/sync/{year}/{race}',
    summary: 'Store the official classification and evaluate',
    request: { params: raceRefParams },
    responses: { 200: content(syncBody, 'stored and evaluated'), 503: content(errorBody, 'not published yet (Retry-After)'), ...write },
  });
  registry.registerPath({
    method: 'post',
    path: '/evaluate/{year}/{race}',
    summary: 'Re-score the official forecast of a race',
    request: { params: raceRefParams },
    responses: { 200: content(metricsBody, 'the stored evaluation'), ...write },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'pitwall', version: info.version, description: 'Frozen F1 race forecasts, official results and their honest scores.' },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
  });
}
