import { z } from 'zod';
import type { JolpicaClient } from '../../clients/jolpica.js';
import type { ErgastDriver, ErgastRace, ErgastStandingsList } from '../../clients/jolpica-schemas.js';
import type { Logger } from '../../log/logger.js';
import type { Progress } from '../../log/progress.js';
import type { RecordBatch } from '../records.js';
import { jolpicaBatch } from './jolpica-records.js';

/** What to read from Jolpica: a season, or one round of it, and which endpoints. */
export const jolpicaParts = ['schedule', 'drivers', 'results', 'qualifying', 'sprint', 'pitstops', 'laps', 'standings'] as const;
export type JolpicaPart = (typeof jolpicaParts)[number];

export const jolpicaRequest = z
  .object({
    season: z.number().int().min(1950).max(2100),
    round: z.number().int().min(1).max(40).optional(),
    parts: z.array(z.enum(jolpicaParts)).min(1).optional(),
    /** With a round: a part that brings no row answers 503 (not published yet) after the rest is stored, so a scheduled job retries. */
    require: z.boolean().optional(),
  })
  .strict();
export type JolpicaRequest = z.infer<typeof jolpicaRequest>;

/** 'SEASON' or 'SEASON/ROUND' (the CLI form). */
export function parseJolpicaTarget(text: string): { season: number; round?: number } | undefined {
  const m = /^(\d{4})(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  return { season: Number(m[1]), ...(m[2] ? { round: Number(m[2]) } : {}) };
}

export interface JolpicaReadDeps {
  jolpica: JolpicaClient;
  logger: Logger;
  /** Today (UTC, YYYY-MM-DD): rounds after it have no pit stops or laps to fetch. */
  today: string;
  progress?: (task: string, total: number) => Progress;
}

/**
 * Reads a season (or a round) from Jolpica into one batch: schedule with session times,
 * drivers, results, qualifying and sprint (one paginated call each for the whole scope),
 * then pit stops, laps and the standings after each round (drivers' and constructors'),
 * round by round (Ergast serves those per round only).
 */
export async function readJolpica(deps: JolpicaReadDeps, request: JolpicaRequest): Promise<RecordBatch> {
  const { jolpica, logger } = deps;
  const { season, round } = request;
  const want = new Set<JolpicaPart>(request.parts ?? jolpicaParts);
  const scope = { season, ...(round !== undefined ? { round } : {}) };
  const races: ErgastRace[] = [];
  let schedule: ErgastRace[] = [];
  let drivers: ErgastDriver[] = [];
  const standings: ErgastStandingsList[] = [];
  const perRound = want.has('pitstops') || want.has('laps') || want.has('standings');

  if (want.has('schedule') || perRound) {
    schedule = (await jolpica.schedule(season)).filter((r) => round === undefined || r.round === round);
  }
  if (want.has('drivers')) drivers = await jolpica.drivers(season);
  if (want.has('results')) races.push(...(await jolpica.results(scope)));
  if (want.has('qualifying')) races.push(...(await jolpica.qualifying(scope)));
  if (want.has('sprint')) races.push(...(await jolpica.sprint(scope)));

  const held = schedule.filter((r) => r.date <= deps.today);
  if (perRound) {
    const bar = deps.progress?.(`jolpica ${season} laps/pit stops/standings`, held.length);
    try {
      for (const r of held) {
        if (want.has('pitstops')) races.push(...(await jolpica.pitStops(season, r.round)));
        if (want.has('laps')) races.push(...(await jolpica.laps(season, r.round)));
        if (want.has('standings')) {
          standings.push(...(await jolpica.driverStandings(season, r.round)), ...(await jolpica.constructorStandings(season, r.round)));
        }
        bar?.tick(1, `R${r.round}`);
      }
    } finally {
      bar?.stop();
    }
  }
  const batch = jolpicaBatch({ ...(want.has('schedule') ? { schedule } : {}), races, drivers, standings });
  logger.info('jolpica read', {
    season,
    round,
    races: batch.races?.length,
    results: batch.results?.length,
    qualifying: batch.qualifying?.length,
    sprintResults: batch.sprintResults?.length,
    pitStops: batch.pitStops?.length,
    laps: batch.laps?.length,
    driverStandings: batch.driverStandings?.length,
    constructorStandings: batch.constructorStandings?.length,
  });
  return batch;
}
