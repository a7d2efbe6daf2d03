/**
 * The championship points of a race and a sprint, by season: the one definition the
 * championship simulation reads. Checked against the real data (test/championship/
 * points-system.test.ts): the tables reproduce every 2010–2024 points figure of results.csv and
 * sprint_results.csv except the exceptions below, and each season's summed points are its final
 * standings.
 *
 * Exceptions the tables do not model, on purpose: only REMAINING races are simulated, and the
 * current standings (driver_standings / constructor_standings after the round) already carry
 * whatever happened, so a one-off never needs a rule here:
 * - 2021 Belgium: half points (a race of two laps behind the safety car);
 * - penalties taken in the standings only (2018 Force India's constructor points forfeited at
 *   its change of entrant; 2020 Racing Point's 15 points for the brake ducts).
 * Not modelled either: half points for a future race cut short (unforeseeable), and points for a
 * retirement classified past 90% distance (a simulated retirement scores nothing).
 */

export interface FastestLapPoint {
  points: number;
  /** Only a driver classified this high scores it. */
  withinTop: number;
}

export interface RacePoints {
  /** Points by finishing position (index 0 = the winner). */
  race: readonly number[];
  /** The fastest-lap point, when the season awards one. */
  fastestLap: FastestLapPoint | null;
}

const TEN_EIGHT = [10, 8, 6, 5, 4, 3, 2, 1];
const TWENTY_FIVE = [25, 18, 15, 12, 10, 8, 6, 4, 2, 1];

/** The first season these tables cover: the earliest a title forecast needs (validation from 2009). */
export const FIRST_POINTS_SEASON = 2003;

/** The points of a grand prix: `round` of `roundsInSeason` (2014's last race scored double). */
export function racePoints(season: number, round: number, roundsInSeason: number): RacePoints {
  if (!Number.isInteger(season) || season < FIRST_POINTS_SEASON) throw new RangeError(`no points system on record for ${season} (covered from ${FIRST_POINTS_SEASON})`);
  const base = season < 2010 ? TEN_EIGHT : TWENTY_FIVE;
  const double = season === 2014 && round === roundsInSeason;
  return {
    race: double ? base.map((p) => p * 2) : base,
    // 2019–2024: a point for the fastest lap, to a driver classified in the top ten (dropped from 2025).
    fastestLap: season >= 2019 && season <= 2024 ? { points: 1, withinTop: 10 } : null,
  };
}

/** The points of a sprint by finishing position; empty before sprints (2021: top three, from 2022: top eight). */
export function sprintPoints(season: number): readonly number[] {
  if (season < 2021) return [];
  return season === 2021 ? [3, 2, 1] : [8, 7, 6, 5, 4, 3, 2, 1];
}
