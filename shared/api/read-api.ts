import { freezeStatus, freezeWindow, policyKey, type FreezePolicy } from '../domain/freeze-policy.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import { NotFoundError } from '../errors.js';
import { cacheable, etagOf, json, type HttpRequest } from '../http/handler.js';
import { bind, type BoundRoute } from '../http/route.js';
import type { Clock } from '../clock.js';
import type { Prediction } from '../domain/prediction.js';
import type { LruCache } from '../cache/lru-cache.js';
import type { TtlCache } from '../cache/ttl-cache.js';
import type { Names, PredictionRef } from '../repository/predictions-store.js';
import { FIRST_FORECAST_SEASON, missingSeason } from '../lifecycle/predict.js';
import type { Repository } from '../repository/index.js';
import type { FreezeRefusals } from '../repository/freeze-attempts-store.js';
import { seasonReliability } from './season-reliability.js';
import { teammatePairs } from '../domain/head-to-head.js';
import { jobsStatus } from './jobs-status.js';
import type { Scheduler } from '../scheduler/port.js';
import { readRoutes as r } from './read-routes.js';
import { modelLabel, preWeekendLabel, type ModelLabel, type PoolMetrics } from '../models/race/version-rules.js';
import { PRE_WEEKEND_MODEL } from '../models/pre-weekend/stored-learner.js';

export interface HealthCheck {
  (): Promise<{ ok: boolean; detail: string }>;
}

export interface ReadApiDeps {
  repo: Repository;
  clock: Clock;
  policy: FreezePolicy;
  /** The pre-weekend forecast's policy (?policy=pre_weekend), when the deployment freezes one. */
  preWeekendPolicy?: FreezePolicy;
  /** The model version predict would use now. */
  currentModel: () => Promise<string>;
  health: Record<string, HealthCheck>;
  openapi: () => unknown | Promise<unknown>;
  /** Presented snapshots by prediction id (immutable, so cacheable for the instance's life). */
  presented?: LruCache<PresentedPrediction>;
  /** Which snapshot is the official one of a race, re-read after a few seconds while there is none. */
  officialRefs?: TtlCache<PredictionRef | undefined, number>;
  /** The scheduler whose jobs GET /jobs/status lists (without it, the route says none is configured). */
  scheduler?: () => Promise<Scheduler>;
}

/** Frozen snapshots never change, nor does which one is official once one is. */
const SNAPSHOT_CACHE = 'public, max-age=300, stale-while-revalidate=60';
export const LISTING_CACHE = 'public, max-age=60';

export function createReadApi(deps: ReadApiDeps): BoundRoute[] {
  const { repo } = deps;
  const policyOf = (query: { policy?: 'configured' | 'pre_weekend' | undefined }): FreezePolicy => {
    if (query.policy !== 'pre_weekend') return deps.policy;
    if (!deps.preWeekendPolicy) throw new NotFoundError('pre-weekend forecasts', 'policy', 'this deployment freezes none');
    return deps.preWeekendPolicy;
  };
  const raceOr404 = async (raceId: number) => {
    const race = await repo.races.byId(raceId);
    if (!race) throw new NotFoundError('race', raceId, 'race ids are listed by GET /races?season=YYYY');
    return race;
  };
  const seasonOr404 = async (season: number) => {
    const races = await repo.races.listSeason(season);
    if (races.length === 0) throw await missingSeason(repo, season);
    return races;
  };
  const summarise = (races: Race[], official: Map<number, number>, refusals: Map<number, FreezeRefusals>, preWeekend: Map<number, number>) => {
    const now = deps.clock.now();
    return races.map((race) => {
      const w = freezeWindow(race, deps.policy);
      const predictionId = official.get(race.id) ?? null;
      const refused = predictionId === null ? refusals.get(race.id) : undefined;
      const pw = deps.preWeekendPolicy ? freezeWindow(race, deps.preWeekendPolicy) : null;
      const preWeekendId = preWeekend.get(race.id) ?? null;
      return {
        id: race.id,
        season: race.season,
        round: race.round,
        name: race.name,
        startsAt: sessionStartsAt(race.sessions.race).toISOString(),
        freezeAllowedAt: w.allowedAt.toISOString(),
        freezeStatus: freezeStatus(w, now, predictionId !== null),
        predictionId,
        freezeRefusals: refused ? { attempts: refused.attempts, lastAt: refused.last.attemptedAt.toISOString(), status: refused.last.status, code: refused.last.code, reason: refused.last.reason } : null,
        preWeekend: pw ? { freezeAllowedAt: pw.allowedAt.toISOString(), freezeStatus: freezeStatus(pw, now, preWeekendId !== null), predictionId: preWeekendId } : null,
      };
    });
  };
  const withOfficial = async (races: Race[]) => {
    const ids = races.map((r) => r.id);
    const [official, refusals, preWeekend] = await Promise.all([
      repo.predictions.officialIdsByRace(ids, deps.policy),
      repo.freezeAttempts.refusals(ids, policyKey(deps.policy)),
      deps.preWeekendPolicy ? repo.predictions.officialIdsByRace(ids, deps.preWeekendPolicy) : new Map<number, number>(),
    ]);
    return summarise(races, official, refusals, preWeekend);
  };
  const serveSnapshot = async (req: HttpRequest, raceId: number, ref: PredictionRef) => {
    const etag = etagOf(`prediction:${ref.id}:${ref.inputsHash}`);
    const notModified = cacheable(req, undefined, etag, SNAPSHOT_CACHE);
    if (notModified.status === 304) return notModified;
    const load = async () => presentPrediction(repo, (await repo.races.byId(raceId))!, (await repo.predictions.byId(ref.id))!);
    const body = deps.presented ? await deps.presented.getOrLoad(ref.id, load) : await load();
    return cacheable(req, body, etag, SNAPSHOT_CACHE);
  };
  /** Why a race has no official snapshot, and what would give it one. */
  const noOfficial = async (race: Race, what: string, policy = deps.policy) => {
    const others = (await repo.predictions.snapshots(race.id)).filter((p) => policyKey(p.freezePolicy) === policyKey(policy)).length;
    const w = freezeWindow(race, policy);
    const now = deps.clock.now();
    const ask = policy.kind === 'pre_weekend' ? '&policy=pre_weekend' : '';
    const hint =
      others > 0
        ? `${race.name} ${race.season} has ${others} snapshot(s) but no official ${policy.kind} forecast; they are listed at /predictions/${race.id}/snapshots`
        : now < w.allowedAt
          ? `the ${policy.kind} forecast of ${race.name} ${race.season} can be frozen from ${w.allowedAt.toISOString()}`
          : now < w.raceStartsAt
            ? `the ${policy.kind} forecast of ${race.name} ${race.season} may be frozen now (POST /predict?year=${race.season}&race=${race.round}${ask})`
            : race.season < FIRST_FORECAST_SEASON
              ? `no forecast of ${race.name} ${race.season} was frozen; pitwall forecasts races from ${FIRST_FORECAST_SEASON} on`
              : `no forecast of ${race.name} ${race.season} was frozen before its start; locally, npx pitwall replay --season ${race.season} forecasts a past season as it happened`;
    return new NotFoundError(what, race.id, hint);
  };

  return [
    bind(r.prediction, async ({ req, params, query }) => {
      const { raceId } = params;
      const policy = policyOf(query);
      const read = () => repo.predictions.officialRef(raceId, policy);
      // The cache holds the configured policy's refs (the dashboard's every read); the pre-weekend one is read as asked.
      const cache = policy === deps.policy ? deps.officialRefs : undefined;
      const ref = cache ? await cache.get(raceId, read) : await read();
      if (!ref) {
        cache?.delete(raceId); // a miss is not kept: the freeze may come any moment
        throw await noOfficial(await raceOr404(raceId), policy === deps.policy ? 'official forecast of race' : 'official pre-weekend forecast of race', policy);
      }
      return serveSnapshot(req, raceId, ref);
    }),
    bind(r.snapshots, async ({ params }) => {
      const { raceId } = params;
      const race = await raceOr404(raceId);
      const snapshots = await repo.predictions.snapshots(raceId);
      return json(200, {
        raceId,
        race: race.name,
        snapshots: snapshots.map((p) => ({
          id: p.id, modelVersion: p.modelVersion, kind: p.kind, official: p.official, clock: p.clock,
          createdAt: p.createdAt.toISOString(), recordedAt: p.recordedAt.toISOString(), snapshotAt: p.snapshotAt.toISOString(), freezePolicy: p.freezePolicy,
        })),
      });
    }),
    bind(r.snapshot, async ({ req, params }) => {
      const { raceId, id } = params;
      const p = await repo.predictions.byId(id);
      if (!p || p.raceId !== raceId) {
        await raceOr404(raceId);
        throw new NotFoundError('snapshot', id, `race ${raceId}'s snapshots are listed at /predictions/${raceId}/snapshots`);
      }
      return serveSnapshot(req, raceId, { id: p.id, inputsHash: p.inputsHash });
    }),
    bind(r.results, async ({ params }) => {
      const { raceId } = params;
      const race = await raceOr404(raceId);
      const results = await repo.reference.results(raceId);
      if (results.length === 0) throw new NotFoundError('results of race', raceId);
      const [names, versions] = await Promise.all([
        repo.predictions.names(results.map((r) => r.driverId), results.map((r) => r.constructorId)),
        repo.resultVersions.history(raceId),
      ]);
      const current = versions.at(-1);
      return json(200, {
        raceId,
        race: race.name,
        resultVersion: current?.version ?? null,
        syncedAt: current?.syncedAt.toISOString() ?? null,
        versions: versions.map((v) => ({ version: v.version, syncedAt: v.syncedAt.toISOString(), runId: v.runId, summary: v.summary, changes: v.changes })),
        results: [...results]
          .sort((a, b) => a.positionOrder - b.positionOrder)
          .map((r) => ({
            ...who(names, r),
            grid: r.grid,
            position: r.position,
            positionText: r.positionText,
            positionOrder: r.positionOrder,
            points: r.points,
            laps: r.laps,
            time: r.timeText,
            milliseconds: r.milliseconds,
            status: r.status,
          })),
      }, { 'Cache-Control': LISTING_CACHE });
    }),
    bind(r.seasonMetrics, async ({ params, query }) => {
      const { year } = params;
      await seasonOr404(year);
      return json(200, await seasonMetrics(repo, year, policyOf(query)));
    }),
    bind(r.reliability, async ({ params }) => {
      const { year } = params;
      await seasonOr404(year);
      return json(200, await seasonReliability(repo, year, deps.policy));
    }),
    bind(r.raceMetrics, async ({ params, query }) => {
      const { raceId } = params;
      const race = await raceOr404(raceId);
      const policy = policyOf(query);
      const official = await repo.predictions.officialRef(raceId, policy);
      if (!official) throw await noOfficial(race, 'metrics of race', policy);
      const e = await repo.evaluations.byPrediction(official.id);
      if (!e) throw new NotFoundError('metrics of race', raceId, `its official forecast (snapshot ${official.id}) is scored once the results are synced (POST /results/sync/${race.season}/${race.round})`);
      const superseded = await repo.evaluations.history(official.id);
      return json(200, {
        ...e,
        evaluatedAt: e.evaluatedAt.toISOString(),
        superseded: superseded.map((old) => ({ ...old, evaluatedAt: old.evaluatedAt.toISOString(), supersededAt: old.supersededAt.toISOString() })),
      });
    }),
    bind(r.upcoming, async () => {
      const now = deps.clock.now();
      const races = await repo.races.list({ fromSeason: now.getUTCFullYear() - 1 });
      const coming = races.filter((r) => sessionStartsAt(r.sessions.race) > now).slice(0, 3);
      const last = coming.length ? null : await repo.races.latest();
      const note = last
        ? `no race after ${now.toISOString().slice(0, 10)} is in the calendar: the data ends with ${last.name} ${last.season}; ingest the current calendar (npx pitwall ingest --jolpica <season>) to see the next races`
        : null;
      return json(200, { now: now.toISOString(), races: await withOfficial(coming), note });
    }),
    bind(r.seasons, async () => json(200, { seasons: await repo.races.seasons() }, { 'Cache-Control': LISTING_CACHE })),
    bind(r.races, async ({ query }) => {
      const { season } = query;
      return json(200, { season, races: await withOfficial(await seasonOr404(season)) }, { 'Cache-Control': LISTING_CACHE });
    }),
    bind(r.drivers, async ({ query }) => {
      const { season } = query;
      const ids = await seasonParticipants(repo, season);
      const drivers = (await repo.reference.drivers()).filter((d) => ids.drivers.has(d.id));
      return json(200, {
        season,
        drivers: drivers.map((d) => ({ id: d.id, ref: d.driverRef, code: d.code, name: `${d.forename} ${d.surname}`, number: d.number, nationality: d.nationality })),
      }, { 'Cache-Control': LISTING_CACHE });
    }),
    bind(r.teams, async ({ query }) => {
      const { season } = query;
      const ids = await seasonParticipants(repo, season);
      const teams = (await repo.reference.constructors()).filter((c) => ids.constructors.has(c.id));
      return json(200, { season, teams: teams.map((c) => ({ id: c.id, ref: c.constructorRef, name: c.name, nationality: c.nationality })) }, { 'Cache-Control': LISTING_CACHE });
    }),
    bind(r.standings, async ({ query }) => {
      const { season } = query;
      return json(200, await standings(repo, season), { 'Cache-Control': LISTING_CACHE });
    }),
    bind(r.models, async () => {
      const registered = [...(await repo.modelVersions.list('race')), ...(await repo.modelVersions.list('pit'))];
      const current = await deps.currentModel();
      return json(200, {
        current,
        currentModel: await labelOf(repo, current),
        models: await repo.evaluations.summaryByModel(),
        registered: registered.map((v) => ({
          kind: v.kind, version: v.version, trainedAt: v.trainedAt.toISOString(), dataFromSeason: v.dataFromSeason, dataToSeason: v.dataToSeason, metrics: v.metrics,
        })),
      });
    }),
    bind(r.jobsStatus, async ({ query }) => json(200, await jobsStatus(deps, query), { 'Cache-Control': 'no-store' })),
    bind(r.health, async () => {
      const checks = Object.fromEntries(
        await Promise.all(
          Object.entries(deps.health).map(async ([name, check]) => {
            try {
              return [name, await check()] as const;
            } catch (err) {
              // Public: the failure's code, never its message (paths, hosts, addresses).
              const code = (err as { code?: unknown } | null)?.code;
              return [name, { ok: false, detail: `failed${typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''}` }] as const;
            }
          }),
        ),
      );
      const ok = Object.values(checks).every((c) => c.ok);
      return json(ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', checks }, { 'Cache-Control': 'no-store' });
    }),
    bind(r.openapi, async () => json(200, await deps.openapi(), { 'Cache-Control': LISTING_CACHE })),
  ];
}

export type PresentedPrediction = Awaited<ReturnType<typeof presentPrediction>>;

/** A model version with the data it has seen, as forecasts, /models and /health name it. */
export async function labelOf(repo: Repository, version: string): Promise<ModelLabel> {
  if (version.startsWith(`${PRE_WEEKEND_MODEL}+`)) {
    const learner = await repo.preWeekend.info(version);
    const race = learner?.throughRaceId ? await repo.races.byId(learner.throughRaceId) : undefined;
    return preWeekendLabel(version, race ?? null);
  }
  const registered = await repo.modelVersions.byVersion('race', version);
  const through = (registered?.metrics.pool as PoolMetrics | undefined)?.learntThrough;
  const race = through ? await repo.races.byId(through.raceId) : undefined;
  return modelLabel(version, registered, race?.name ?? null);
}

export async function presentPrediction(repo: Repository, race: Race, p: Prediction) {
  const [names, model, qualifying] = await Promise.all([
    repo.predictions.names(p.entries.map((e) => e.driverId), p.entries.map((e) => e.constructorId)),
    labelOf(repo, p.modelVersion),
    repo.reference.qualifying(race.id),
  ]);
  const qualified = new Map(qualifying.map((q) => [q.driverId, q.position]));
  return {
    id: p.id,
    race: { id: race.id, season: race.season, round: race.round, name: race.name },
    modelVersion: p.modelVersion,
    model,
    kind: p.kind,
    official: p.official,
    clock: p.clock,
    createdAt: p.createdAt.toISOString(),
    recordedAt: p.recordedAt.toISOString(),
    freezePolicy: p.freezePolicy,
    snapshotAt: p.snapshotAt.toISOString(),
    sessionType: p.sessionType,
    inputsHash: p.inputsHash,
    confidence: p.confidence,
    featureCoverage: p.featureCoverage,
    imputedCount: p.imputedCount,
    status: p.status,
    warnings: p.warnings,
    entries: p.entries.map((e) => ({
      ...who(names, e),
      // A pre-weekend snapshot was frozen before qualifying: it read no qualifying position.
      qualifyingPosition: p.sessionType === 'pre_weekend' ? null : (qualified.get(e.driverId) ?? null),
      predictedPosition: e.predictedPosition,
      expectedPosition: e.expectedPosition,
      medianPosition: e.medianPosition,
      gapSeconds: e.gapSeconds,
      gapInterval: [e.gapLowSeconds, e.gapHighSeconds] as [number, number],
      gapFlagged: e.gapFlagged,
      pWin: e.pWin,
      pPodium: e.pPodium,
      pPoints: e.pPoints,
      pDnf: e.pDnf,
      featureCoverage: e.featureCoverage,
      imputedCount: e.imputedCount,
      strategy: e.strategy,
      reasons: e.reasons,
    })),
    teammates: p.headToHead
      ? teammatePairs(p.headToHead, p.entries).map((t) => ({ constructorId: t.constructorId, team: names.constructors.get(t.constructorId) ?? String(t.constructorId), a: person(names, t.a), b: person(names, t.b), pAhead: t.pAhead }))
      : null,
    weather: p.weather?.forecast ?? null,
    weatherReason: p.weather ? p.weather.reason : 'frozen before pitwall recorded the weather a freeze saw',
  };
}

async function seasonParticipants(repo: Repository, season: number) {
  const races = await repo.races.listSeason(season);
  if (races.length === 0) throw await missingSeason(repo, season);
  const results = await repo.reference.seasonResults(season);
  const drivers = new Set(results.map((r) => r.driverId));
  const constructors = new Set(results.map((r) => r.constructorId));
  // A season under way: its entrants so far come from qualifying too.
  for (const race of races) {
    if (results.some((r) => r.raceId === race.id)) continue;
    for (const q of await repo.reference.qualifying(race.id)) {
      drivers.add(q.driverId);
      constructors.add(q.constructorId);
    }
  }
  return { drivers, constructors };
}

async function standings(repo: Repository, season: number) {
  const races = await repo.races.listSeason(season);
  if (races.length === 0) throw await missingSeason(repo, season);
  for (const race of [...races].reverse()) {
    const drivers = await repo.reference.driverStandings(race.id);
    if (drivers.length === 0) continue;
    const constructors = await repo.reference.constructorStandings(race.id);
    const names = await repo.predictions.names(drivers.map((d) => d.entityId), constructors.map((c) => c.entityId));
    const order = <T extends { position: number | null; points: number }>(xs: T[]) =>
      [...xs].sort((a, b) => (a.position ?? 999) - (b.position ?? 999) || b.points - a.points);
    return {
      season,
      afterRound: race.round,
      drivers: order(drivers).map((d) => ({ position: d.position, id: d.entityId, name: names.drivers.get(d.entityId)?.name ?? String(d.entityId), points: d.points, wins: d.wins })),
      constructors: order(constructors).map((c) => ({ position: c.position, id: c.entityId, name: names.constructors.get(c.entityId) ?? String(c.entityId), points: c.points, wins: c.wins })),
    };
  }
  return { season, afterRound: null, drivers: [], constructors: [] };
}

const avg = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
};

/** Race-by-race accuracy of each race's official forecast under a policy, beside the grid-order baseline. */
export async function seasonMetrics(repo: Repository, season: number, policy: FreezePolicy) {
  const evals = await repo.evaluations.season(season, policy);
  const races = evals.map((e) => ({
    round: e.round,
    race: e.raceName,
    raceId: e.raceId,
    model: { positionMae: e.positionMae, winnerCorrect: e.winnerCorrect, podiumAccuracy: e.podiumAccuracy, top10Accuracy: e.top10Accuracy, spearman: e.spearman, brierWin: e.brier.win },
    gridBaseline: e.baseline,
    resultVersion: e.resultVersion,
  }));
  return {
    season,
    races,
    totals: {
      races: races.length,
      model: {
        positionMae: avg(races.map((r) => r.model.positionMae)),
        winnerAccuracy: avg(races.map((r) => (r.model.winnerCorrect ? 1 : 0))),
        spearman: avg(races.map((r) => r.model.spearman)),
        brierWin: avg(races.map((r) => r.model.brierWin)),
      },
      gridBaseline: {
        positionMae: avg(races.map((r) => r.gridBaseline.positionMae)),
        winnerAccuracy: avg(races.map((r) => (r.gridBaseline.winnerCorrect ? 1 : 0))),
        spearman: avg(races.map((r) => r.gridBaseline.spearman)),
      },
    },
  };
}

export type { HttpRequest };

/** A driver as the API names one. */
export const person = (names: Names, driverId: number) => ({ driverId, driver: names.drivers.get(driverId)?.name ?? String(driverId), code: names.drivers.get(driverId)?.code ?? null });

/** Driver and team as the API shows them, by id, with the ids kept beside the names. */
function who(names: Names, x: { driverId: number; constructorId: number }) {
  return {
    driverId: x.driverId,
    driver: names.drivers.get(x.driverId)?.name ?? String(x.driverId),
    code: names.drivers.get(x.driverId)?.code ?? null,
    constructorId: x.constructorId,
    team: names.constructors.get(x.constructorId) ?? String(x.constructorId),
  };
}
