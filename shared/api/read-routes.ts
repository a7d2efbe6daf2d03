import { z } from 'zod';
import { defineRoute, refusal, refusals, type RouteSpec } from '../http/route.js';
import {
  healthBody,
  raceMetricsBody,
  modelsBody,
  personBody,
  predictionBody,
  raceIdParams,
  raceSummary,
  resultsBody,
  seasonMetricsBody,
  seasonParams,
  seasonQuery,
  policyQuery,
  seasonReliabilityBody,
  seasonsBody,
  snapshotParams,
  snapshotSummary,
  standingsBody,
  teamBody,
} from './schemas.js';
import { jobsStatusBody, jobsStatusQuery } from './jobs-status.js';

const get = <const P extends z.ZodObject | undefined = undefined, const Q extends z.ZodObject | undefined = undefined>(
  path: string,
  summary: string,
  schema: z.ZodType,
  request: { params?: P; query?: Q; headers?: z.ZodObject } = {},
  more: RouteSpec['responses'] = {},
) => defineRoute({ method: 'GET', path, summary, ...(request as { params: P; query: Q; headers?: z.ZodObject }), responses: { 200: { description: summary, schema }, ...refusals, ...more } });

/** A frozen snapshot is served with an ETag: a client that has it asks again with If-None-Match. */
const conditional = {
  headers: z.object({ 'if-none-match': z.string().optional().describe('the ETag of the copy the client holds: 304 when it is still the one') }),
};
const notModified = { 304: { description: 'not modified: If-None-Match names the current ETag (no body)' } };

/** The read API (the api function, at the root): every route it serves, declared once. */
export const readRoutes = {
  prediction: get('/predictions/{raceId}', 'The official forecast of a race: its first forecast under the freeze policy, or (policy=pre_weekend) its pre-weekend forecast (ETag, Cache-Control; 304 on If-None-Match)', predictionBody, { params: raceIdParams, query: policyQuery, ...conditional }, notModified),
  snapshots: get('/predictions/{raceId}/snapshots', 'Every snapshot of a race: official, superseded and retrospective', z.object({ raceId: z.number(), race: z.string(), snapshots: z.array(snapshotSummary) }), { params: raceIdParams }),
  snapshot: get('/predictions/{raceId}/snapshots/{id}', 'One snapshot of a race by id (ETag; 304 on If-None-Match)', predictionBody, { params: snapshotParams, ...conditional }, notModified),
  results: get('/results/{raceId}', 'The official classification of a race', resultsBody, { params: raceIdParams }),
  raceMetrics: get('/metrics/{raceId}', 'The evaluation of the official forecast of a race (policy=pre_weekend: of its pre-weekend forecast), against the current classification version, with the scores corrections replaced', raceMetricsBody, { params: raceIdParams, query: policyQuery }),
  seasonMetrics: get('/metrics/season/{year}', 'Race-by-race accuracy of a season beside the grid-order baseline (policy=pre_weekend: of the pre-weekend forecasts)', seasonMetricsBody, { params: seasonParams, query: policyQuery }),
  reliability: get('/metrics/season/{year}/reliability', 'Forecast probability against observed frequency, binned, over a season', seasonReliabilityBody, { params: seasonParams }),
  seasons: get('/seasons', 'Seasons with races, newest first', seasonsBody),
  races: get('/races', 'The races of a season with their freeze status', z.object({ season: z.number(), races: z.array(raceSummary) }), { query: seasonQuery }),
  upcoming: get('/races/upcoming', 'The next three races with their freeze status', z.object({ now: z.string(), races: z.array(raceSummary), note: z.string().nullable() })),
  drivers: get('/drivers', 'Drivers of a season', z.object({ season: z.number(), drivers: z.array(personBody) }), { query: seasonQuery }),
  teams: get('/teams', 'Teams of a season', z.object({ season: z.number(), teams: z.array(teamBody) }), { query: seasonQuery }),
  standings: get('/standings', 'Championship standings after the latest round with standings', standingsBody, { query: seasonQuery }),
  models: get('/models', 'Model versions and their evaluated performance', modelsBody),
  jobsStatus: get('/jobs/status', "The current season's scheduled jobs (last run, outcome, next run) and the ingestion runs with their counts, newest first (paged)", jobsStatusBody, { query: jobsStatusQuery }),
  health: get('/health', 'Database, model and artifact store checks (503 when degraded)', healthBody, {}, { 503: { description: 'degraded: a check failed', schema: healthBody } }),
  openapi: get('/openapi.json', 'This document: the OpenAPI 3.1 contract of every route, generated from their declarations', z.record(z.string(), z.unknown())),
};

const asset = (path: string) =>
  defineRoute({ method: 'GET', path, summary: 'Dashboard asset', hidden: true, responses: { 200: { description: 'the asset' }, 404: refusal('no such asset'), 406: refusal('no acceptable encoding') } });

/** The dashboard, served by the api function itself: same origin, no CDN. */
export const dashboardRoutes = [asset('/'), asset('/favicon.ico'), asset('/dashboard'), asset('/dashboard/*')];
