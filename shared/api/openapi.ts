import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { apiIngestBody } from '../ingest/api/cli-flags.js';
import { ingestRequest } from '../ingest/ingest.js';
import { liveRaceRequest, storedRaceQuery } from '../pits/serve.js';
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
import { ingestBody, pitForecastBody, pitTimelineBody, scheduleBody } from './service-schemas.js';

/**
 * Every operation pitwall serves, with the schemas of its parameters, body and responses:
 * the one list the OpenAPI document is generated from and the contract tests walk (each
 * response of the hostile-input suite is parsed with the schema listed for its status).
 */
export interface ApiOperation {
  method: 'get' | 'post';
  /** OpenAPI path template, e.g. /predictions/{raceId}. */
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Writes need an authorised caller outside local dev. */
  write?: boolean;
  responses: Record<number, { description: string; schema: z.ZodType }>;
}

const reply = (schema: z.ZodType, description: string) => ({ schema, description });
const refusals = {
  400: reply(errorBody, 'invalid parameters or body: error.message says what to send'),
  404: reply(errorBody, 'unknown id or race'),
  405: reply(errorBody, 'method not served (Allow lists the ones that are)'),
};
const writeRefusals = {
  ...refusals,
  401: reply(errorBody, 'unauthenticated (outside local dev)'),
  403: reply(errorBody, 'authenticated but not allowed'),
  413: reply(errorBody, 'body too large'),
  415: reply(errorBody, 'body is not application/json'),
};
const noPitModel = { 503: reply(errorBody, 'no pit model is trained yet, or the pit forecasts are busy (Retry-After)') };

const get = (path: string, summary: string, schema: z.ZodType, request: Pick<ApiOperation, 'params' | 'query'> = {}, more: ApiOperation['responses'] = {}): ApiOperation => ({
  method: 'get',
  path,
  summary,
  ...request,
  responses: { 200: reply(schema, summary), ...refusals, ...more },
});

export const apiOperations: ApiOperation[] = [
  get('/predictions/{raceId}', 'The official forecast of a race: its first forecast under the freeze policy (ETag, Cache-Control; 304 on If-None-Match)', predictionBody, { params: raceIdParams }),
  get('/predictions/{raceId}/snapshots', 'Every snapshot of a race: official, superseded and retrospective', z.object({ raceId: z.number(), race: z.string(), snapshots: z.array(snapshotSummary) }), { params: raceIdParams }),
  get('/predictions/{raceId}/snapshots/{id}', 'One snapshot of a race by id', predictionBody, { params: snapshotParams }),
  get('/results/{raceId}', 'The official classification of a race', resultsBody, { params: raceIdParams }),
  get('/metrics/{raceId}', 'The evaluation of the official forecast of a race', metricsBody, { params: raceIdParams }),
  get('/metrics/season/{year}', 'Race-by-race accuracy of a season beside the grid-order baseline', seasonMetricsBody, { params: seasonParams }),
  get('/metrics/season/{year}/reliability', 'Forecast probability against observed frequency, binned, over a season', seasonReliabilityBody, { params: seasonParams }),
  get('/seasons', 'Seasons with races, newest first', seasonsBody),
  get('/races', 'The races of a season with their freeze status', z.object({ season: z.number(), races: z.array(raceSummary) }), { query: seasonQuery }),
  get('/races/upcoming', 'The next three races with their freeze status', z.object({ now: z.string(), races: z.array(raceSummary), note: z.string().nullable() })),
  get('/drivers', 'Drivers of a season', z.object({ season: z.number(), drivers: z.array(personBody) }), { query: seasonQuery }),
  get('/teams', 'Teams of a season', z.object({ season: z.number(), teams: z.array(teamBody) }), { query: seasonQuery }),
  get('/standings', 'Championship standings after the latest round with standings', standingsBody, { query: seasonQuery }),
  get('/models', 'Model versions and their evaluated performance', modelsBody),
  get('/health', 'Database, model and artifact store checks (503 when degraded)', healthBody, {}, { 503: reply(healthBody, 'degraded: a check failed') }),
  get('/pits/{raceId}', 'Pit forecasts of a stored race at lap N: P(box within 1, 3, 5 laps) from laps 1..N only', pitForecastBody, { params: raceIdParams, query: storedRaceQuery }, { ...noPitModel, 409: reply(errorBody, 'the race has no lap data') }),
  get('/pits/{raceId}/timeline', 'A stored race replayed lap by lap: each car’s pit probability one lap ahead, and the laps it did box', pitTimelineBody, { params: raceIdParams }, { ...noPitModel, 409: reply(errorBody, 'the race has no lap data') }),
  {
    method: 'post',
    path: '/pits',
    summary: 'Pit forecasts for a live race from the laps posted so far',
    body: liveRaceRequest,
    responses: { 200: reply(pitForecastBody, 'the forecast at the posted lap'), ...refusals, 413: writeRefusals[413], 415: writeRefusals[415], ...noPitModel },
  },
  {
    method: 'post',
    path: '/predict',
    summary: 'Freeze the forecast of a race (idempotent per race, model version, policy and kind)',
    query: raceRefQuery,
    write: true,
    responses: {
      200: reply(predictionBody, 'the already frozen snapshot'),
      201: reply(predictionBody, 'frozen by this call'),
      409: reply(errorBody, 'the freeze policy does not allow it yet (details.allowedAt), or the race started with no forecast frozen (ask for retrospective=true)'),
      ...writeRefusals,
    },
  },
  {
    method: 'post',
    path: '/results/sync/{year}/{race}',
    summary: 'Store the official classification and evaluate',
    params: raceRefParams,
    write: true,
    responses: {
      200: reply(syncBody, 'stored and evaluated'),
      502: reply(errorBody, 'the upstream classification is incomplete, wrong, too large or late: nothing stored, a failed run recorded'),
      503: reply(errorBody, 'not published yet (Retry-After)'),
      ...writeRefusals,
    },
  },
  {
    method: 'post',
    path: '/results/sync/latest',
    summary: 'Sync the last race that has finished (the daily safety net)',
    write: true,
    responses: { 200: reply(syncBody, 'stored and evaluated'), 502: reply(errorBody, 'the upstream classification is incomplete, wrong, too large or late: nothing stored'), 503: reply(errorBody, 'not published yet (Retry-After)'), ...writeRefusals },
  },
  {
    method: 'post',
    path: '/evaluate/{year}/{race}',
    summary: 'Re-score the official forecast of a race',
    params: raceRefParams,
    write: true,
    responses: { 200: reply(metricsBody, 'the stored evaluation'), ...writeRefusals },
  },
  {
    method: 'post',
    path: '/ingest',
    summary: 'Ingest files (an Ergast dump, lap exports) from configured roots, and/or Jolpica and OpenF1 data',
    body: z.union([ingestRequest, apiIngestBody]),
    write: true,
    responses: { 200: reply(ingestBody, 'one run per source, each succeeded or failed with its reason'), ...writeRefusals },
  },
  {
    method: 'post',
    path: '/schedule',
    summary: "Plan the coming race weekends' freeze and sync jobs and reconcile Cloud Scheduler with them",
    write: true,
    responses: { 200: reply(scheduleBody, 'the jobs created, updated, unchanged and deleted'), ...writeRefusals },
  },
];

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers parse with. */
export function buildOpenApiDocument(info: { version: string; serverUrl?: string }): unknown {
  const registry = new OpenAPIRegistry();
  for (const op of apiOperations) {
    registry.registerPath({
      method: op.method,
      path: op.path,
      summary: op.summary,
      request: {
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { query: op.query } : {}),
        ...(op.body ? { body: { content: { 'application/json': { schema: op.body } } } } : {}),
      },
      responses: Object.fromEntries(Object.entries(op.responses).map(([status, r]) => [status, { description: r.description, content: { 'application/json': { schema: r.schema } } }])),
      ...(op.write ? { security: [{ apiKey: [] }, { identityToken: [] }] } : {}),
    });
  }
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  registry.registerComponent('securitySchemes', 'identityToken', { type: 'http', scheme: 'bearer', bearerFormat: 'Google-signed OIDC identity token' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'pitwall', version: info.version, description: 'Frozen F1 race forecasts, official results and their honest scores.' },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
  });
}
