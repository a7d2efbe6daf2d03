import { assertWriteAllowed, type AuthPolicy } from '../http/auth.js';
import { assertJsonOrEmpty, WRITE_BODY_MAX_BYTES } from '../http/body.js';
import type { BodyPolicy } from '../http/express-adapter.js';
import { json, methodNotAllowed, notFoundRoute, type Handler, type HttpRequest, type HttpResponse } from '../http/handler.js';
import { NotFoundError } from '../errors.js';
import { evaluateRace } from '../lifecycle/evaluate.js';
import { findRace, predict, type PredictDeps } from '../lifecycle/predict.js';
import { syncResults, type SyncDeps } from '../lifecycle/sync-results.js';
import type { Repository } from '../repository/index.js';
import type { Clock } from '../lifecycle/clock.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import { sessionStartsAt } from '../domain/reference.js';
import { presentPrediction, type PresentedPrediction } from './read-api.js';
import type { SnapshotCache } from '../lifecycle/snapshot-cache.js';
import { raceRefParams, raceRefQuery } from './schemas.js';

/**
 * The write functions (predict, sync-results, evaluate). Each is POST-only and needs an
 * authorised caller outside local dev (shared/http/auth.ts). Deployed alone, a function
 * sees only its own sub-path ('/2024/monaco'); behind the dev server, the full path
 * ('/results/sync/2024/monaco'): both match on the path's tail.
 */

const tail = /(?:^|\/)([^/]+)\/([^/]+)\/?$/;

/**
 * What a write checks before its body is read: POST, JSON or no body (never a form post),
 * an allowed caller. The function edge runs it ahead of reading (BodyPolicy.preflight).
 */
export function writePreflight(auth: AuthPolicy) {
  return async (req: HttpRequest): Promise<HttpResponse | undefined> => {
    if (req.method.toUpperCase() !== 'POST') return methodNotAllowed(['POST']);
    assertJsonOrEmpty(req.headers);
    await assertWriteAllowed(auth, req.headers);
    return undefined;
  };
}

/** The body policy of a write function: the preflight, then at most WRITE_BODY_MAX_BYTES. */
export const writeBodyPolicy = (auth: AuthPolicy): BodyPolicy => ({ maxBytes: WRITE_BODY_MAX_BYTES, preflight: writePreflight(auth) });

const guard = (req: HttpRequest, auth: AuthPolicy) => writePreflight(auth)(req);

function raceFromPath(req: HttpRequest) {
  const m = tail.exec(req.path);
  if (!m) return undefined;
  return raceRefParams.parse({ year: decode(m[1]!), race: decode(m[2]!) });
}

function decode(s: string) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** POST /predict?year=YYYY&race=ROUND_OR_NAME → the frozen snapshot (201 when this call froze it). */
export function predictHandler(deps: PredictDeps & { auth: AuthPolicy; presented?: SnapshotCache<PresentedPrediction> }): Handler {
  return async (req) => {
    const refused = await guard(req, deps.auth);
    if (refused) return refused;
    const ref = raceRefQuery.parse(req.query);
    const { prediction, created } = await predict(deps, ref);
    const load = async () => presentPrediction(deps.repo, (await deps.repo.races.byId(prediction.raceId))!, prediction);
    const body = deps.presented ? await deps.presented.getOrLoad(prediction.id, load) : await load();
    return { ...json(created ? 201 : 200, body, { Location: `/predictions/${prediction.raceId}` }), stableBody: deps.presented !== undefined };
  };
}

/** POST /results/sync/{year}/{race} → classification stored + evaluation (503 + Retry-After until published). */
export function syncHandler(deps: SyncDeps & { auth: AuthPolicy; clock: Clock }): Handler {
  return async (req) => {
    const refused = await guard(req, deps.auth);
    if (refused) return refused;
    const ref = /\/latest\/?$/.test(req.path) ? await latestFinished(deps.repo, deps.clock) : raceFromPath(req);
    if (!ref) return notFoundRoute(req.path);
    const out = await syncResults(deps, ref);
    return json(200, { ...out, evaluation: out.evaluation ? { ...out.evaluation, evaluatedAt: out.evaluation.evaluatedAt.toISOString() } : null });
  };
}

/** The last race that started at least two hours before now (the daily safety-net sync). */
async function latestFinished(repo: Repository, clock: Clock) {
  const cutoff = clock.now().getTime() - 2 * 3600_000;
  const races = await repo.races.list({ fromSeason: clock.now().getUTCFullYear() - 1 });
  const race = races.filter((r) => sessionStartsAt(r.sessions.race).getTime() <= cutoff).pop();
  if (!race) {
    const from = clock.now().getUTCFullYear() - 1;
    throw new NotFoundError('finished race', 'latest', `no race of ${from} or later has finished by ${new Date(cutoff).toISOString()}; sync a past race by name: POST /results/sync/{year}/{race}`);
  }
  return { year: race.season, race: String(race.round) };
}

/** POST /evaluate/{year}/{race} → (re-)scores the official snapshot against stored results. */
export function evaluateHandler(deps: { repo: Repository; auth: AuthPolicy; policy: FreezePolicy }): Handler {
  return async (req) => {
    const refused = await guard(req, deps.auth);
    if (refused) return refused;
    const ref = raceFromPath(req);
    if (!ref) return notFoundRoute(req.path);
    const race = await findRace(deps.repo, ref);
    const evaluation = await deps.repo.withTransaction((trx) => evaluateRace(trx, race.id, deps.policy));
    if (!evaluation) throw new NotFoundError('official forecast of race', race.id, `${race.name} ${race.season} has nothing to score: no forecast was frozen before its start`);
    return json(200, { ...evaluation, evaluatedAt: evaluation.evaluatedAt.toISOString() });
  };
}
