import type { LruCache } from '../cache/lru-cache.js';
import type { Clock } from '../clock.js';
import type { CurrentForecaster, RaceForecast } from '../domain/forecast.js';
import { freezeWindow, type FreezePolicy } from '../domain/freeze-policy.js';
import type { Prediction } from '../domain/prediction.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import { SYNC_AFTER_RACE_HOURS } from '../domain/result-sync.js';
import { ConflictError, NotFoundError, PitwallError, ValidationError } from '../errors.js';
import { FIRST_FORECAST_SEASON, missingSeason } from '../lifecycle/predict.js';
import type { ChampionshipEntity, ChampionshipOddsSet } from '../repository/championship-store.js';
import type { Repository } from '../repository/index.js';
import type { Names } from '../repository/predictions-store.js';
import { person } from './read-api.js';

/**
 * The dashboard's landing view (issue 17, part 7): a season as it stood after one round —
 * the last 3 races (forecast against result, scores as stored), the next 3 (their pre-weekend
 * forecasts) and the title odds. Nothing is shown that was not known at that instant: a
 * pre-weekend forecast frozen later is replaced by a provisional one computed as of then
 * (never stored).
 */

/** Races on each side of the round. */
export const OVERVIEW_RACES = 3;
/** Drivers of a next race's pre-weekend forecast and entities of the title odds shown. */
export const OVERVIEW_TOP = 5;

const HOUR = 3_600_000;

/** The instant a race's result is known: the result sync runs SYNC_AFTER_RACE_HOURS after the start. */
export const resultKnownAt = (race: Race): Date => new Date(sessionStartsAt(race.sessions.race).getTime() + SYNC_AFTER_RACE_HOURS * HOUR);

export interface OverviewDeps {
  repo: Repository;
  clock: Clock;
  policy: FreezePolicy;
  preWeekendPolicy: FreezePolicy;
  /** The pre-weekend forecaster (models/pre-weekend/forecaster.ts): a provisional forecast as of any instant. */
  preWeekend: CurrentForecaster;
  /** Provisional forecasts by race and learner version: the same learner state gives the same forecast. */
  provisional?: LruCache<RaceForecast, string>;
}

type Pick3 = ReturnType<typeof person>;

/** Which round the view stands after, and the instant it stands at. */
async function standpoint(deps: OverviewDeps, query: { season?: number | undefined; round?: number | undefined }) {
  const { repo } = deps;
  const now = deps.clock.now();
  if (query.round !== undefined && query.season === undefined) {
    throw new ValidationError(`round needs its season, e.g. ?season=2024&round=${query.round}`, [{ path: 'season', message: 'required with round' }]);
  }
  if (query.season !== undefined) {
    const races = await repo.races.listSeason(query.season);
    if (races.length === 0) throw await missingSeason(repo, query.season);
    const known = races.filter((r) => resultKnownAt(r) <= now);
    if (query.round === undefined) {
      const race = known.at(-1);
      if (!race) throw new ConflictError(`no race of ${query.season} has finished yet: its first, ${races[0]!.name}, starts at ${sessionStartsAt(races[0]!.sessions.race).toISOString()}`);
      return { race, at: resultKnownAt(race), present: false, note: null };
    }
    const race = races.find((r) => r.round === query.round);
    if (!race) throw new NotFoundError(`round ${query.round} of season`, query.season, `${query.season} has rounds 1–${races.at(-1)!.round}`);
    if (resultKnownAt(race) > now) {
      throw new ConflictError(`${race.name} ${race.season} (round ${race.round}) has not finished yet${known.length ? `: the latest round with a result is ${known.at(-1)!.round}` : ''}; ask for a finished round`);
    }
    return { race, at: resultKnownAt(race), present: false, note: null };
  }
  // The present: after the latest race with a result, as of now.
  const calendar = await repo.races.list({ fromSeason: now.getUTCFullYear() - 1 });
  const known = calendar.filter((r) => resultKnownAt(r) <= now);
  if (calendar.some((r) => resultKnownAt(r) > now) && known.length > 0) return { race: known.at(-1)!, at: now, present: true, note: null };
  // The calendar has ended (the data stops before today): the latest season with three races still to come.
  const latest = await repo.races.latest();
  if (!latest) throw new NotFoundError('season', now.getUTCFullYear(), 'no season is loaded yet (npx pitwall ingest)');
  const races = await repo.races.listSeason(latest.season);
  const last = races.at(-1)!;
  const race = races[Math.max(0, races.length - 1 - OVERVIEW_RACES)]!;
  const note = `the calendar ends with ${last.name} ${last.season}: showing the season as it stood after round ${race.round}; ?season=&round= for another`;
  return { race, at: resultKnownAt(race), present: false, note };
}

const top3Of = (names: Names, ids: number[]): Pick3[] => ids.slice(0, 3).map((id) => person(names, id));

/** A finished race: its official forecast's picks against the result, and the scores as stored. */
async function lastRace(deps: OverviewDeps, race: Race) {
  const { repo } = deps;
  const [official, early, results] = await Promise.all([
    repo.predictions.official(race.id, deps.policy),
    repo.predictions.official(race.id, deps.preWeekendPolicy),
    repo.reference.results(race.id),
  ]);
  const [score, earlyScore] = await Promise.all([official ? repo.evaluations.byPrediction(official.id) : undefined, early ? repo.evaluations.byPrediction(early.id) : undefined]);
  const order = (p: Prediction) => [...p.entries].sort((a, b) => a.predictedPosition - b.predictedPosition).map((e) => e.driverId);
  const finish = [...results].sort((a, b) => a.positionOrder - b.positionOrder).map((r) => r.driverId);
  const names = await repo.predictions.names([...(official ? order(official) : []), ...(early ? order(early) : []), ...finish], []);
  const picks = (p: Prediction) => {
    const top = top3Of(names, order(p));
    return { predictionId: p.id, modelVersion: p.modelVersion, winner: top[0] ?? null, top3: top };
  };
  const scores = (e: NonNullable<typeof score>) => ({
    positionMae: e.positionMae,
    winnerCorrect: e.winnerCorrect,
    brierWin: e.brier.win,
    gridBaseline: { positionMae: e.baseline.positionMae, winnerCorrect: e.baseline.winnerCorrect },
  });
  return {
    ...raceRef(race),
    forecast: official ? picks(official) : null,
    result: finish.length ? { winner: person(names, finish[0]!), top3: top3Of(names, finish) } : null,
    score: score ? scores(score) : null,
    preWeekend: early ? { ...picks(early), score: earlyScore ? scores(earlyScore) : null } : null,
  };
}

const raceRef = (race: Race) => ({ raceId: race.id, season: race.season, round: race.round, name: race.name, startsAt: sessionStartsAt(race.sessions.race).toISOString() });

/** A race to come: its pre-weekend forecast as known at `at` (the frozen one if it was frozen by then, else provisional). */
async function nextRace(deps: OverviewDeps, race: Race, at: Date) {
  const { repo } = deps;
  if (race.season < FIRST_FORECAST_SEASON) return { ...raceRef(race), preWeekend: null, reason: `pitwall forecasts races from ${FIRST_FORECAST_SEASON} on` };
  const freezesAt = freezeWindow(race, deps.preWeekendPolicy).allowedAt;
  const official = await repo.predictions.official(race.id, deps.preWeekendPolicy);
  const frozenBy = official ? new Date(Math.max(official.createdAt.getTime(), official.snapshotAt.getTime())) : null;
  let entries: { driverId: number; constructorId: number; pWin: number; pPodium: number; pPoints: number }[];
  let forecast: { provisional: boolean; predictionId: number | null; modelVersion: string; asOf: string; freezesAt: string };
  if (official && frozenBy! <= at) {
    entries = official.entries;
    forecast = { provisional: false, predictionId: official.id, modelVersion: official.modelVersion, asOf: official.snapshotAt.toISOString(), freezesAt: freezesAt.toISOString() };
  } else {
    // As of `at`, or of the freeze instant if that has passed unfrozen: what the freeze would have seen.
    const asOf = new Date(Math.min(at.getTime(), freezesAt.getTime()));
    let f: RaceForecast;
    try {
      const forecaster = await deps.preWeekend(asOf);
      const load = () => forecaster.forecast(race.id, asOf);
      f = deps.provisional ? await deps.provisional.getOrLoad(`${race.id}:${forecaster.version}`, load) : await load();
    } catch (err) {
      if (err instanceof PitwallError && err.httpStatus < 500) return { ...raceRef(race), preWeekend: null, reason: err.message };
      throw err;
    }
    entries = f.drivers;
    forecast = { provisional: true, predictionId: null, modelVersion: f.modelVersion, asOf: asOf.toISOString(), freezesAt: freezesAt.toISOString() };
  }
  const top = [...entries].sort((a, b) => b.pWin - a.pWin || a.driverId - b.driverId).slice(0, OVERVIEW_TOP);
  const names = await repo.predictions.names(top.map((e) => e.driverId), top.map((e) => e.constructorId));
  return {
    ...raceRef(race),
    preWeekend: {
      ...forecast,
      top: top.map((e) => ({ ...person(names, e.driverId), team: names.constructors.get(e.constructorId) ?? String(e.constructorId), pWin: e.pWin, pPodium: e.pPodium, pPoints: e.pPoints })),
    },
    reason: null,
  };
}

/** The title odds after the round: each championship's top entities by P(title). */
async function titleOdds(repo: Repository, race: Race) {
  const set: ChampionshipOddsSet | undefined = await repo.championship.get(race.season, race.round);
  if (!set) {
    return { title: null, titleReason: `no title odds are stored after round ${race.round} of ${race.season}: they are computed when a race's result is synced (locally, npx pitwall replay --season ${race.season})` };
  }
  const of = (entity: ChampionshipEntity) => set.entries.filter((e) => e.entity === entity).slice(0, OVERVIEW_TOP);
  const [drivers, constructors] = [of('driver'), of('constructor')];
  const names = await repo.predictions.names(drivers.map((d) => d.entityId), constructors.map((c) => c.entityId));
  const figures = (e: (typeof drivers)[number]) => ({ currentPoints: e.currentPoints, pTitle: e.pTitle, pTop3: e.pTop3 });
  return {
    title: {
      season: set.season,
      round: set.round,
      model: set.model,
      samples: set.samples,
      drivers: drivers.map((d) => ({ ...person(names, d.entityId), ...figures(d) })),
      constructors: constructors.map((c) => ({ constructorId: c.entityId, team: names.constructors.get(c.entityId) ?? String(c.entityId), ...figures(c) })),
    },
    titleReason: null,
  };
}

export async function overview(deps: OverviewDeps, query: { season?: number | undefined; round?: number | undefined }) {
  const { repo } = deps;
  const { race, at, present, note } = await standpoint(deps, query);
  // The calendar around the round, across the turn of a season.
  const calendar = await repo.races.list({ fromSeason: race.season - 1, toSeason: race.season + 1 });
  const i = calendar.findIndex((r) => r.id === race.id);
  const before = calendar.slice(Math.max(0, i - OVERVIEW_RACES + 1), i + 1).reverse();
  const after = calendar.slice(i + 1, i + 1 + OVERVIEW_RACES);
  const season = calendar.filter((r) => r.season === race.season);
  const [last, next, title] = await Promise.all([
    Promise.all(before.map((r) => lastRace(deps, r))),
    // One at a time: each may catch the pre-weekend learner up, which the next one then resumes from.
    after.reduce<Promise<Awaited<ReturnType<typeof nextRace>>[]>>(async (acc, r) => [...(await acc), await nextRace(deps, r, at)], Promise.resolve([])),
    titleOdds(repo, race),
  ]);
  return {
    season: race.season,
    round: race.round,
    race: race.name,
    at: at.toISOString(),
    present,
    note,
    rounds: season.map((r) => ({ round: r.round, name: r.name, finished: resultKnownAt(r) <= deps.clock.now() })),
    last,
    next,
    ...title,
  };
}
