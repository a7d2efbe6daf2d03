import { json } from '../http/handler.js';
import { bind, defineRoute, refusal, writeRefusals, type BoundRoute } from '../http/route.js';
import { NotFoundError, PitwallError } from '../errors.js';
import { evaluateRace } from '../lifecycle/evaluate.js';
import { findRace, freezeOf, predict, type PredictDeps } from '../lifecycle/predict.js';
import { syncResults, type SyncDeps, type SyncOutcome } from '../lifecycle/sync-results.js';
import { recheckRecentResults } from '../lifecycle/recheck-results.js';
import type { Repository } from '../repository/index.js';
import type { Clock } from '../clock.js';
import { policyKey, type FreezePolicy } from '../domain/freeze-policy.js';
import { presentPrediction, type PresentedPrediction } from './read-api.js';
import type { LruCache } from '../cache/lru-cache.js';
import { metricsBody, predictionBody, raceRefParams, raceRefQuery, recheckBody, syncBody } from './schemas.js';

/**
 * The write functions (predict, sync-results, evaluate): POST only, JSON or no body, an
 * authorised caller outside local dev (the router checks all three before a handler runs).
 * Paths are as each function sees them deployed, after FUNCTIONS_BASE_URL/<function>.
 */

const upstreamRefused = refusal('the upstream classification is incomplete, wrong, too large or late: nothing stored, a failed run recorded');
const notPublished = refusal('not published yet (Retry-After)');
const concurrentSync = refusal('another sync of the race stored the same result version at the same time: sync again');

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
    responses: { 200: { description: 'stored and evaluated', schema: syncBody }, 409: concurrentSync, 502: upstreamRefused, 503: notPublished, ...writeRefusals },
  }),
  latest: defineRoute({
    method: 'POST',
    path: '/latest',
    summary: 'Re-check the results of every race of the last 7 days and the last finished one (the daily safety net for late classifications and corrections)',
    write: true,
    responses: {
      200: { description: 'the last finished race stored and evaluated (its sync, as POST /{year}/{race} answers), and each race re-checked with its outcome', schema: recheckBody },
      409: concurrentSync,
      502: refusal('the last finished race\'s classification was refused (details.races: every race re-checked)'),
      503: refusal('the last finished race is not published yet (Retry-After; details.races: every race re-checked)'),
      ...writeRefusals,
    },
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

/**
 * A refused freeze of a known race (409 not allowed yet / no entry list / started, 503) is kept
 * with its reason: the Scheduler retries until the race start, and a race that started with no
 * forecast then says why in the listings. Recording never hides the refusal itself.
 */
async function recordRefusal(deps: PredictDeps, policy: FreezePolicy, err: unknown): Promise<void> {
  if (!(err instanceof PitwallError) || (err.httpStatus !== 409 && err.httpStatus !== 503) || typeof err.details?.raceId !== 'number') return;
  await deps.repo.freezeAttempts
    .record({ raceId: err.details.raceId, policyKey: policyKey(policy), attemptedAt: deps.clock.now(), status: err.httpStatus, code: err.code, reason: err.message })
    .catch(() => undefined);
}

/** POST /predict?year=YYYY&race=ROUND_OR_NAME → the frozen snapshot (201 when this call froze it). */
export function predictFunction(deps: PredictDeps & { presented?: LruCache<PresentedPrediction> }): BoundRoute[] {
  return [
    bind(predictRoutes.freeze, async ({ query }) => {
      const { prediction, created } = await predict(deps, query).catch(async (err: unknown) => {
        if (!query.retrospective) await recordRefusal(deps, freezeOf(deps, query).policy, err);
        throw err;
      });
      const load = async () => presentPrediction(deps.repo, (await deps.repo.races.byId(prediction.raceId))!, prediction);
      const body = deps.presented ? await deps.presented.getOrLoad(prediction.id, load) : await load();
      // The official snapshot is the race's forecast; any other (a retrospective) only its own snapshot.
      const location = prediction.official
        ? `/predictions/${prediction.raceId}${prediction.freezePolicy.kind === 'pre_weekend' ? '?policy=pre_weekend' : ''}`
        : `/predictions/${prediction.raceId}/snapshots/${prediction.id}`;
      return { ...json(created ? 201 : 200, body, { Location: location }), stableBody: deps.presented !== undefined };
    }),
  ];
}

/**
 * POST /results/sync/{year}/{race} → classification stored + evaluation (503 + Retry-After until published);
 * POST /results/sync/latest → the daily re-check of the last week's races (lifecycle/recheck-results.ts).
 */
export function syncFunction(deps: SyncDeps & { clock: Clock }): BoundRoute[] {
  return [
    bind(syncRoutes.race, async ({ params }) => json(200, presentSync(await syncResults(deps, params)))),
    bind(syncRoutes.latest, async () => {
      const { latest, races } = await recheckRecentResults(deps);
      return json(200, { ...presentSync(latest), races });
    }),
  ];
}

function presentSync(out: SyncOutcome) {
  return {
    ...out,
    result: { ...out.result, syncedAt: out.result.syncedAt.toISOString() },
    evaluation: out.evaluation ? { ...out.evaluation, evaluatedAt: out.evaluation.evaluatedAt.toISOString() } : null,
  };
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
