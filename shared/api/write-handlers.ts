import { json } from '../http/handler.js';
import { bind, defineRoute, refusal, writeRefusals, type BoundRoute } from '../http/route.js';
import { NotFoundError } from '../errors.js';
import { evaluateRace } from '../lifecycle/evaluate.js';
import { findRace, predict, type PredictDeps } from '../lifecycle/predict.js';
import { syncResults, type SyncDeps } from '../lifecycle/sync-results.js';
import type { Repository } from '../repository/index.js';
import type { Clock } from '../clock.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import { sessionStartsAt } from '../domain/reference.js';
import { presentPrediction, type PresentedPrediction } from './read-api.js';
import type { LruCache } from '../cache/lru-cache.js';
import { metricsBody, predictionBody, raceRefParams, raceRefQuery, syncBody } from './schemas.js';

/**
 * The write functions (predict, sync-results, evaluate): POST only, JSON or no body, an
 * authorised caller outside local dev (the router checks all three before a handler runs).
 * Paths are as each function sees them deployed, after FUNCTIONS_BASE_URL/<function>.
 */

const upstreamRefused = refusal('the upstream classification is incomplete, wrong, too large or late: nothing stored, a failed run recorded');
const notPublished = refusal('not published yet (Retry-After)');

export const predictRoutes = {
  freeze: defineRoute({
    method: 'POST',
    path: '/',
    summary: 'Freeze the forecast of a race (idempotent per race, model version, policy and kind)',
    query: raceRefQuery,
    write: true,
    responses: {
      200: { description: 'the already frozen snapshot', schema: predictionBody },
      201: { description: 'frozen by this call', schema: predictionBody },
      409: refusal('the freeze policy does not allow it yet (details.allowedAt), or the race started with no forecast frozen (ask for retrospective=true)'),
      ...writeRefusals,
    },
  }),
};

export const syncRoutes = {
  race: defineRoute({
    method: 'POST',
    path: '/{year}/{race}',
    summary: 'Store the official classification and evaluate',
    params: raceRefParams,
    write: true,
    responses: { 200: { description: 'stored and evaluated', schema: syncBody }, 502: upstreamRefused, 503: notPublished, ...writeRefusals },
  }),
  latest: defineRoute({
    method: 'POST',
    path: '/latest',
    summary: 'Sync the last race that has finished (the daily safety net)',
    write: true,
    responses: { 200: { description: 'stored and evaluated', schema: syncBody }, 502: upstreamRefused, 503: notPublished, ...writeRefusals },
  }),
};

export const evaluateRoutes = {
  race: defineRoute({
    method: 'POST',
    path: '/{year}/{race}',
    summary: 'Re-score the official forecast of a race',
    params: raceRefParams,
    write: true,
    responses: { 200: { description: 'the stored evaluation', schema: metricsBody }, ...writeRefusals },
  }),
};

/** POST /predict?year=YYYY&race=ROUND_OR_NAME → the frozen snapshot (201 when this call froze it). */
export function predictFunction(deps: PredictDeps & { presented?: LruCache<PresentedPrediction> }): BoundRoute[] {
  return [
    bind(predictRoutes.freeze, async ({ query }) => {
      const { prediction, created } = await predict(deps, query);
      const load = async () => presentPrediction(deps.repo, (await deps.repo.races.byId(prediction.raceId))!, prediction);
      const body = deps.presented ? await deps.presented.getOrLoad(prediction.id, load) : await load();
      // The official snapshot is the race's forecast; any other (a retrospective) only its own snapshot.
      const location = prediction.official ? `/predictions/${prediction.raceId}` : `/predictions/${prediction.raceId}/snapshots/${prediction.id}`;
      return { ...json(created ? 201 : 200, body, { Location: location }), stableBody: deps.presented !== undefined };
    }),
  ];
}

/** POST /results/sync/{year}/{race} → classification stored + evaluation (503 + Retry-After until published). */
export function syncFunction(deps: SyncDeps & { clock: Clock }): BoundRoute[] {
  const sync = async (ref: { year: number; race: string }) => {
    const out = await syncResults(deps, ref);
    return json(200, { ...out, evaluation: out.evaluation ? { ...out.evaluation, evaluatedAt: out.evaluation.evaluatedAt.toISOString() } : null });
  };
  return [bind(syncRoutes.race, async ({ params }) => sync(params)), bind(syncRoutes.latest, async () => sync(await latestFinished(deps.repo, deps.clock)))];
}

/** The last race that started at least two hours before now (the daily safety-net sync). */
async function latestFinished(repo: Repository, clock: Clock) {
  const cutoff = clock.now().getTime() - 2 * 3600_000;
  const from = clock.now().getUTCFullYear() - 1;
  const races = await repo.races.list({ fromSeason: from });
  const race = races.filter((r) => sessionStartsAt(r.sessions.race).getTime() <= cutoff).pop();
  if (!race) {
    throw new NotFoundError('finished race', 'latest', `no race of ${from} or later started before ${new Date(cutoff).toISOString()} (two hours ago) in the stored calendar; sync a past race by name: POST /results/sync/{year}/{race}`);
  }
  return { year: race.season, race: String(race.round) };
}

/** POST /evaluate/{year}/{race} → (re-)scores the official snapshot against stored results. */
export function evaluateFunction(deps: { repo: Repository; policy: FreezePolicy }): BoundRoute[] {
  return [
    bind(evaluateRoutes.race, async ({ params }) => {
      const race = await findRace(deps.repo, params);
      const evaluation = await deps.repo.withTransaction((trx) => evaluateRace(trx, race.id, deps.policy));
      if (!evaluation) throw new NotFoundError('official forecast of race', race.id, `${race.name} ${race.season} has nothing to score: no forecast was frozen before its start`);
      return json(200, { ...evaluation, evaluatedAt: evaluation.evaluatedAt.toISOString() });
    }),
  ];
}
