import { z } from 'zod';
import { CLEAN_LAP_DEFINITION } from '../analytics/clean-laps.js';
import { circuitResults, defaultCircuit, type CircuitChoice } from '../analytics/circuit.js';
import { driverAnalytics, QUALI_GAP_MAX_PCT, teammates } from '../analytics/driver-analytics.js';
import { carsByRace, type SeasonData, type Subject } from '../analytics/inputs.js';
import { MIN_FIELD_CARS, MIN_PACE_LAPS } from '../analytics/race-pace.js';
import { PIT_LANE_MAX_MS } from '../analytics/season-figures.js';
import { teamAnalytics } from '../analytics/team-analytics.js';
import { MIN_STINT_LAPS } from '../analytics/tyre-degradation.js';
import { WET_LAP_SHARE } from '../analytics/wet-races.js';
import type { Circuit } from '../domain/reference.js';
import { NotFoundError } from '../errors.js';
import { json } from '../http/handler.js';
import { bind, defineRoute, refusals, type BoundRoute } from '../http/route.js';
import { missingSeason } from '../lifecycle/predict.js';
import type { Repository } from '../repository/index.js';
import { LISTING_CACHE } from './read-api.js';
import { decimalId, season } from './schemas.js';

// ---- Request ----

/** A circuit by id (digits) or by ref (monaco, red_bull_ring). */
const circuitParam = z
  .preprocess((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    if (Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `circuit was given ${v.length} times; give it once` });
      return z.NEVER;
    }
    const t = String(v).trim();
    if (!/^(\d{1,9}|[a-z][a-z0-9_]{0,39})$/i.test(t)) {
      ctx.addIssue({ code: 'custom', message: `circuit must be a circuit id or ref, e.g. ?circuit=monaco or ?circuit=6; got "${t.slice(0, 40)}"` });
      return z.NEVER;
    }
    return t.toLowerCase();
  }, z.string().optional())
  .describe("a circuit id or ref: the results there over every stored season (default: the circuit of the season's next race after the last with results, else its last race's)");

const analyticsQuery = z.object({ season: season('season', '?season=2024'), circuit: circuitParam });
const driverParams = z.object({ id: decimalId('id', '/analytics/drivers/830?season=2024') });
const teamParams = z.object({ id: decimalId('id', '/analytics/teams/9?season=2024') });

// ---- Response ----

const n = z.number().nullable();
const reason = z.string().nullable().describe('why the figure has no value (null when it has one)');
const races = z.number().int().describe('how many races the figure rests on');
const raceRef = { raceId: z.number().int(), round: z.number().int(), race: z.string() };

const seasonFigures = {
  racesEntered: z.number().int(),
  racePace: z.object({
    medianDeltaSeconds: n.describe('median over the races of the race median (clean lap − field median clean lap on that lap), seconds; negative is faster'),
    medianDeltaPct: n.describe('the same in percent of the field median lap'),
    races, reason,
    perRace: z.array(z.object({ ...raceRef, deltaSeconds: z.number(), deltaPct: z.number(), cleanLaps: z.number().int() })),
  }),
  consistency: z.object({
    pace: z.object({ sdPct: n.describe('standard deviation (n − 1) of the per-race race-pace deltas, percent'), races, reason }),
    finishing: z.object({ sdPositions: n.describe('standard deviation (n − 1) of the classified finishing places'), races, reason }),
  }),
  positionsGained: z.object({
    mean: n.describe('mean of grid − finish over classified finishes from a grid slot'),
    total: n,
    races, reason,
    perRace: z.array(z.object({ ...raceRef, driverId: z.number().int(), grid: z.number().int(), finish: z.number().int(), gained: z.number().int() })),
  }),
  wetRaces: z.object({
    wet: z.object({ races, meanFinish: n, meanPoints: n, dnfs: z.number().int() }),
    dry: z.object({ races, meanFinish: n, meanPoints: n, dnfs: z.number().int() }),
    races,
    unknownRaces: z.number().int().describe('races with no compound stored: neither wet nor dry'),
    threshold: z.number().describe("a race is wet when at least this share of the field's laps with a known compound were on intermediates or wets"),
    reason,
    perRace: z.array(z.object({ ...raceRef, wetLapShare: n, wet: z.boolean().nullable() })),
  }),
  tyreDegradation: z.object({
    byCompound: z.array(z.object({
      compound: z.enum(['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET']),
      medianSecondsPerLap: z.number().describe('median over stints of the least-squares slope of clean lap time on lap number, s/lap'),
      stints: z.number().int(),
      races,
    })),
    stints: z.number().int(),
    races,
    fuelCorrected: z.boolean().describe('false: the fuel burn (laps get faster as the car lightens) is not removed, so the slopes understate wear'),
    reason,
  }),
  pitStops: z.object({
    medianSeconds: n.describe('median pit-lane time (pit_stops.milliseconds: pit entry to exit, not the stationary time), seconds'),
    meanSeconds: n,
    fieldMedianSeconds: n.describe("the season's median over every car"),
    deltaToFieldSeconds: n.describe('median − field median; negative is quicker'),
    stops: z.number().int(),
    excluded: z.number().int().describe(`stops longer than ${PIT_LANE_MAX_MS / 1000} s (red flags, repairs) or untimed, left out`),
    races, reason,
    perRace: z.array(z.object({ ...raceRef, stops: z.number().int(), medianSeconds: z.number() })),
  }),
  mechanicalDnfs: z.object({
    count: z.number().int(),
    races: races.describe('races started'),
    reason,
    list: z.array(z.object({ ...raceRef, driverId: z.number().int(), status: z.string(), laps: z.number().int() })),
  }),
  pointsOverSeason: z.object({
    finalPoints: n,
    finalPosition: z.number().int().nullable(),
    races, reason,
    rounds: z.array(z.object({ ...raceRef, points: z.number(), position: z.number().int().nullable(), wins: z.number().int() })),
  }),
};

const circuitFigure = z.object({
  circuit: z.object({ id: z.number().int(), ref: z.string(), name: z.string() }).nullable(),
  chosenBy: z.enum(['query', 'next race', 'last race']).nullable(),
  races, reason,
  results: z.array(z.object({
    season: z.number().int(), round: z.number().int(), raceId: z.number().int(), race: z.string(), driverId: z.number().int(),
    grid: z.number().int(), position: z.number().int().nullable(), positionText: z.string(), points: z.number(), status: z.string(),
  })),
});
const person = z.object({ driverId: z.number().int(), code: z.string().nullable(), name: z.string() });
const definitions = z.record(z.string(), z.string()).describe('what each figure measures, in words, with its units');

export const driverAnalyticsBody = z.object({
  season: z.number().int(),
  driver: z.object({ id: z.number().int(), ref: z.string(), code: z.string().nullable(), name: z.string() }),
  teams: z.array(z.object({ id: z.number().int(), name: z.string() })).describe('the teams the driver raced for in the season'),
  teammates: z.array(person).describe('the drivers of the same team in the same race, most races together first'),
  definitions,
  ...seasonFigures,
  teammateQualifyingGap: z.object({
    medianPct: n.describe("median over races of (own − teammate's time) / teammate's time × 100, in the last session both set a time in; negative is faster"),
    medianMs: n,
    outqualified: z.number().int().describe('races the driver qualified ahead of the teammate'),
    excluded: z.number().int().describe(`races with a gap over ${QUALI_GAP_MAX_PCT}% (a problem lap), left out`),
    races, reason,
    perRace: z.array(z.object({ ...raceRef, teammateId: z.number().int(), session: z.enum(['Q1', 'Q2', 'Q3']), gapMs: z.number(), gapPct: z.number(), ahead: z.boolean() })),
  }),
  circuit: circuitFigure,
});

export const teamAnalyticsBody = z.object({
  season: z.number().int(),
  team: z.object({ id: z.number().int(), ref: z.string(), name: z.string() }),
  drivers: z.array(person.extend({ races: z.number().int(), points: z.number() })),
  definitions,
  ...seasonFigures,
  developmentTrend: z.object({
    medianGapToPolePct: n,
    slopePctPerRound: n.describe("least-squares slope of the team's best qualifying gap to pole over the rounds, percentage points per round; negative is closing on pole"),
    races, reason,
    perRound: z.array(z.object({ ...raceRef, gapToPolePct: z.number() })),
  }),
  circuit: circuitFigure,
});

export const analyticsRoutes = {
  driver: defineRoute({
    method: 'GET', path: '/analytics/drivers/{id}',
    summary: "A driver's season from the stored data: teammate qualifying gap, race pace, consistency, positions gained, wet against dry, tyre degradation, pit stops, mechanical DNFs, results at a circuit, points and championship place per round; each figure with the races it rests on",
    params: driverParams, query: analyticsQuery,
    responses: { 200: { description: "the driver's figures", schema: driverAnalyticsBody }, ...refusals },
  }),
  team: defineRoute({
    method: 'GET', path: '/analytics/teams/{id}',
    summary: "A team's season over both cars: the driver figures pooled, its drivers, its development (qualifying gap to pole per round and its slope), reliability and pit-stop efficiency; each figure with the races it rests on",
    params: teamParams, query: analyticsQuery,
    responses: { 200: { description: "the team's figures", schema: teamAnalyticsBody }, ...refusals },
  }),
};

const DEFINITIONS = {
  cleanLap: CLEAN_LAP_DEFINITION,
  racePace: `per race, the median over the car's clean laps of (lap time − the field's median clean lap on that lap number), in seconds and in percent of the field median; a lap needs ${MIN_FIELD_CARS} cars' clean laps for a field median, a race ${MIN_PACE_LAPS} clean laps to count; the season figure is the median of the races`,
  consistency: 'pace: the standard deviation (n − 1) of the per-race race-pace deltas in percent; finishing: the standard deviation of the classified finishing places',
  positionsGained: 'grid − finishing place, over classified finishes from a grid slot (pit-lane starts and DNFs left out)',
  wetRaces: `a race is wet when at least ${WET_LAP_SHARE * 100}% of the field's laps with a known compound were on intermediates or wets; finish is the mean classified place, points the mean per start`,
  tyreDegradation: `per stint of at least ${MIN_STINT_LAPS} clean laps on one compound, the least-squares slope of lap time on lap number (s/lap); the median over stints per compound; fuel burn not removed`,
  pitStops: `pit-lane time from the pit stops table (entry to exit, seconds), stops over ${PIT_LANE_MAX_MS / 1000} s left out`,
  mechanicalDnfs: 'non-classifications not caused by the driver or a collision (the forecast features\' definition)',
  circuit: 'the results at one circuit over every stored season',
  pointsOverSeason: 'championship points and place after each round, from the standings',
};

export interface AnalyticsApiDeps {
  repo: Repository;
}

const nameOf = (d: { forename: string; surname: string }) => `${d.forename} ${d.surname}`;

/** The analytics routes of the api function: a driver's and a team's season. */
export function createAnalyticsApi({ repo }: AnalyticsApiDeps): BoundRoute[] {
  const seasonOr404 = async (year: number): Promise<SeasonData> => {
    const data = await repo.analytics.season(year);
    if (data.races.length === 0) throw await missingSeason(repo, year);
    return data;
  };
  const circuitOf = async (asked: string | undefined, data: SeasonData, who: { driverId: number } | { constructorId: number }) => {
    const circuits = await repo.reference.circuits();
    let circuit: Circuit | undefined;
    let chosenBy: CircuitChoice;
    if (asked !== undefined) {
      circuit = circuits.find((c) => (/^\d+$/.test(asked) ? c.id === Number(asked) : c.circuitRef.toLowerCase() === asked));
      if (!circuit) throw new NotFoundError('circuit', asked, `name a circuit by its id or ref (e.g. ?circuit=monaco); ${data.season}'s are ${[...new Set(data.races.map((r) => circuits.find((c) => c.id === r.circuitId)?.circuitRef))].join(', ')}`);
      chosenBy = 'query';
    } else {
      const chosen = defaultCircuit(data.races, new Set(data.results.map((r) => r.raceId)));
      if (!chosen) return { circuit: null, chosenBy: null, races: 0, reason: 'no race in the season', results: [] };
      circuit = circuits.find((c) => c.id === chosen.circuitId)!;
      chosenBy = chosen.chosenBy;
    }
    const { races, results } = circuitResults(await repo.analytics.circuitResults(circuit.id, who));
    return { circuit: { id: circuit.id, ref: circuit.circuitRef, name: circuit.name }, chosenBy, races, reason: races ? null : `no result at ${circuit.name} in the stored seasons`, results };
  };
  const took = (data: SeasonData, subject: Subject) => carsByRace(data, subject).size > 0;

  return [
    bind(analyticsRoutes.driver, async ({ params, query }) => {
      const drivers = await repo.reference.drivers();
      const driver = drivers.find((d) => d.id === params.id);
      if (!driver) throw new NotFoundError('driver', params.id, `driver ids are listed by GET /drivers?season=${query.season}`);
      const data = await seasonOr404(query.season);
      if (!took(data, { kind: 'driver', id: driver.id })) {
        throw new NotFoundError(`driver ${driver.id} (${nameOf(driver)}) in season`, query.season, `no race of ${query.season} has them; GET /drivers?season=${query.season} lists its drivers`);
      }
      const figures = driverAnalytics(data, driver.id);
      const byId = new Map(drivers.map((d) => [d.id, d]));
      const teamIds = new Set(data.results.filter((r) => r.driverId === driver.id).map((r) => r.constructorId));
      for (const q of data.qualifying) if (q.driverId === driver.id) teamIds.add(q.constructorId);
      const teams = (await repo.reference.constructors()).filter((c) => teamIds.has(c.id));
      const mates = teammates(data, driver.id);
      return json(200, {
        season: query.season,
        driver: { id: driver.id, ref: driver.driverRef, code: driver.code, name: nameOf(driver) },
        teams: teams.map((t) => ({ id: t.id, name: t.name })),
        teammates: mates.map((id) => ({ driverId: id, code: byId.get(id)?.code ?? null, name: byId.get(id) ? nameOf(byId.get(id)!) : String(id) })),
        definitions: { ...DEFINITIONS, teammateQualifyingGap: `(own − teammate's lap) / teammate's lap × 100 in the last session both set a time in (ms beside it); gaps over ${QUALI_GAP_MAX_PCT}% left out` },
        ...figures,
        circuit: await circuitOf(query.circuit, data, { driverId: driver.id }),
      }, { 'Cache-Control': LISTING_CACHE });
    }),
    bind(analyticsRoutes.team, async ({ params, query }) => {
      const team = (await repo.reference.constructors()).find((c) => c.id === params.id);
      if (!team) throw new NotFoundError('team', params.id, `team ids are listed by GET /teams?season=${query.season}`);
      const data = await seasonOr404(query.season);
      if (!took(data, { kind: 'team', id: team.id })) {
        throw new NotFoundError(`team ${team.id} (${team.name}) in season`, query.season, `no race of ${query.season} has them; GET /teams?season=${query.season} lists its teams`);
      }
      const figures = teamAnalytics(data, team.id);
      const byId = new Map((await repo.reference.drivers()).map((d) => [d.id, d]));
      return json(200, {
        season: query.season,
        team: { id: team.id, ref: team.constructorRef, name: team.name },
        definitions: { ...DEFINITIONS, developmentTrend: "per round, the team's better car's best qualifying lap against pole (percent), and the least-squares slope of that gap over the rounds (percentage points of the gap per round)" },
        ...figures,
        drivers: figures.drivers.map((d) => ({ ...d, code: byId.get(d.driverId)?.code ?? null, name: byId.get(d.driverId) ? nameOf(byId.get(d.driverId)!) : String(d.driverId) })),
        circuit: await circuitOf(query.circuit, data, { constructorId: team.id }),
      }, { 'Cache-Control': LISTING_CACHE });
    }),
  ];
}
