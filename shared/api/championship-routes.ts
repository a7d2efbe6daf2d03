import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import { json } from '../http/handler.js';
import { bind, defineRoute, refusals, type BoundRoute } from '../http/route.js';
import type { Repository } from '../repository/index.js';
import type { ChampionshipOddsEntry, ChampionshipOddsSet } from '../repository/championship-store.js';
import { LISTING_CACHE } from './read-api.js';
import { decimalInteger, season } from './schemas.js';

// ---- Request ----

const yearParams = z.object({ year: season('year', '/championship/2024') });
const roundParams = z.object({ year: season('year', '/championship/2024/12'), round: decimalInteger('round', 1, 99, '/championship/2024/12') });

// ---- Response ----

const probability = z.number().min(0).max(1);
const odds = {
  currentPoints: z.number().describe('points in the standings after the round'),
  pTitle: probability.describe('P(champion): share of the simulated seasons'),
  pTop3: probability,
  expectedPoints: z.number().describe('mean final points over the simulated seasons'),
  p10: z.number(),
  p50: z.number(),
  p90: z.number().describe('10/50/90% quantiles of the final points'),
  histogram: z.object({ from: z.number(), width: z.number(), shares: z.array(z.number()) }).describe('final points: share of the seasons in each bin [from + k·width, from + (k+1)·width)'),
};
const historyPoint = z.object({ round: z.number().int(), id: z.number().int(), name: z.string(), pTitle: probability });
export const championshipBody = z.object({
  season: z.number().int(),
  round: z.number().int().describe('the odds are after this round'),
  race: z.object({ id: z.number().int(), name: z.string() }),
  model: z.string().describe('the pre-weekend learner state the strengths came from'),
  samples: z.number().int().describe('simulated seasons'),
  computedAt: z.string(),
  drivers: z.array(z.object({ driverId: z.number().int(), code: z.string().nullable(), name: z.string(), team: z.string().nullable(), ...odds })),
  constructors: z.array(z.object({ constructorId: z.number().int(), name: z.string(), ...odds })),
  history: z
    .object({ drivers: z.array(historyPoint), constructors: z.array(historyPoint) })
    .nullable()
    .describe('P(title) after every stored round of the season (GET /championship/{year} only): the chart over the season'),
});

const produced = 'championship odds are computed after each race when its result is synced (POST /results/sync/{year}/{race}, or the season replay)';

export const championshipRoutes = {
  season: defineRoute({
    method: 'GET', path: '/championship/{year}', params: yearParams,
    summary: "The season's latest title odds (drivers and constructors: P(title), P(top 3), final points), and P(title) after every round for the chart",
    responses: { 200: { description: 'the odds after the latest round with odds, and their history', schema: championshipBody }, ...refusals },
  }),
  round: defineRoute({
    method: 'GET', path: '/championship/{year}/{round}', params: roundParams,
    summary: 'The title odds after one round of a season',
    responses: { 200: { description: 'the odds after the round', schema: championshipBody }, ...refusals },
  }),
};

/** The championship odds routes of the api function. */
export function createChampionshipApi(deps: { repo: Repository }): BoundRoute[] {
  const { repo } = deps;
  const present = async (set: ChampionshipOddsSet, withHistory: boolean) => {
    const [drivers, teams, results, race, history] = await Promise.all([
      repo.reference.drivers(),
      repo.reference.constructors(),
      repo.reference.results(set.raceId),
      repo.races.byId(set.raceId),
      withHistory ? repo.championship.titleHistory(set.season) : Promise.resolve(null),
    ]);
    const driverById = new Map(drivers.map((d) => [d.id, d]));
    const teamName = new Map(teams.map((c) => [c.id, c.name]));
    const teamOf = new Map(results.map((r) => [r.driverId, r.constructorId]));
    const driverName = (id: number) => {
      const d = driverById.get(id);
      return d ? `${d.forename} ${d.surname}` : `driver ${id}`;
    };
    const nameOf = (entity: 'driver' | 'constructor', id: number) => (entity === 'driver' ? driverName(id) : (teamName.get(id) ?? `team ${id}`));
    const fields = ({ entity: _e, entityId: _i, ...rest }: ChampionshipOddsEntry) => rest;
    return {
      season: set.season,
      round: set.round,
      race: { id: set.raceId, name: race?.name ?? `${set.season} round ${set.round}` },
      model: set.model,
      samples: set.samples,
      computedAt: set.computedAt.toISOString(),
      drivers: set.entries.filter((e) => e.entity === 'driver').map((e) => {
        const team = teamOf.get(e.entityId);
        return { driverId: e.entityId, code: driverById.get(e.entityId)?.code ?? null, name: driverName(e.entityId), team: team === undefined ? null : (teamName.get(team) ?? null), ...fields(e) };
      }),
      constructors: set.entries.filter((e) => e.entity === 'constructor').map((e) => ({ constructorId: e.entityId, name: nameOf('constructor', e.entityId), ...fields(e) })),
      history: history
        ? {
            drivers: history.filter((h) => h.entity === 'driver').map((h) => ({ round: h.round, id: h.entityId, name: nameOf('driver', h.entityId), pTitle: h.pTitle })),
            constructors: history.filter((h) => h.entity === 'constructor').map((h) => ({ round: h.round, id: h.entityId, name: nameOf('constructor', h.entityId), pTitle: h.pTitle })),
          }
        : null,
    };
  };
  return [
    bind(championshipRoutes.season, async ({ params }) => {
      const set = await repo.championship.latest(params.year);
      if (!set) throw new NotFoundError('championship odds of season', params.year, `none stored yet: ${produced}`);
      return json(200, await present(set, true), { 'Cache-Control': LISTING_CACHE });
    }),
    bind(championshipRoutes.round, async ({ params }) => {
      const set = await repo.championship.get(params.year, params.round);
      if (!set) throw new NotFoundError(`championship odds of ${params.year} after round`, params.round, `none stored: ${produced}; GET /championship/${params.year} has the latest round with odds`);
      return json(200, await present(set, false), { 'Cache-Control': LISTING_CACHE });
    }),
  ];
}
