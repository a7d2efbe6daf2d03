import { z } from 'zod';
import { json } from '../http/handler.js';
import { bind, defineRoute, refusal, refusals, type BoundRoute } from '../http/route.js';
import { decimalInteger, season } from './schemas.js';
import { overview, OVERVIEW_RACES, OVERVIEW_TOP, type OverviewDeps } from './overview.js';

// ---- Request ----

export const overviewQuery = z.object({
  season: season('season', '?season=2024&round=10').optional().describe('the season (default: the present, or the latest season when the calendar has ended)'),
  round: decimalInteger('round', 1, 30, '?season=2024&round=10').optional().describe("the round the view stands after (with season; default: the season's latest finished round)"),
});

// ---- Response ----

const isoDate = z.string().describe('ISO 8601 instant');
const driver = z.object({ driverId: z.number().int(), driver: z.string(), code: z.string().nullable() });
const race = {
  raceId: z.number().int(),
  season: z.number().int(),
  round: z.number().int(),
  name: z.string(),
  startsAt: isoDate,
};
const scores = z.object({
  positionMae: z.number().nullable(),
  winnerCorrect: z.boolean(),
  brierWin: z.number().nullable(),
  gridBaseline: z.object({ positionMae: z.number().nullable(), winnerCorrect: z.boolean() }).describe('the grid-order baseline, as stored in the evaluation'),
});
const picks = {
  predictionId: z.number().int(),
  modelVersion: z.string(),
  winner: driver.nullable().describe('the predicted winner (predicted position 1)'),
  top3: z.array(driver),
};
const titleEntity = { currentPoints: z.number(), pTitle: z.number(), pTop3: z.number() };

export const overviewBody = z.object({
  season: z.number().int(),
  round: z.number().int(),
  race: z.string().describe('the round the view stands after'),
  at: isoDate.describe("the instant the view stands at: the round's result (race start + the result sync's delay), or now for the present"),
  present: z.boolean().describe('true: the present (no query); false: a season as it stood after a round'),
  note: z.string().nullable().describe('why the view is not the present (the calendar has ended), and how to ask for another'),
  rounds: z.array(z.object({ round: z.number().int(), name: z.string(), finished: z.boolean() })).describe("the season's rounds, for a round picker"),
  last: z
    .array(z.object({
      ...race,
      forecast: z.object(picks).nullable().describe('the official forecast (configured freeze policy); null when none was frozen'),
      result: z.object({ winner: driver, top3: z.array(driver) }).nullable(),
      score: scores.nullable().describe("the official forecast's evaluation; null until scored"),
      preWeekend: z.object({ ...picks, score: scores.nullable() }).nullable().describe('the pre-weekend forecast and its score, when one was frozen'),
    }))
    .describe(`the last ${OVERVIEW_RACES} races up to the round, the latest first`),
  next: z
    .array(z.object({
      ...race,
      preWeekend: z
        .object({
          provisional: z.boolean().describe('true: not frozen by `at`, computed as of `asOf` for this view and never stored; false: the frozen official snapshot'),
          predictionId: z.number().int().nullable(),
          modelVersion: z.string(),
          asOf: isoDate.describe('the instant the features are as of'),
          freezesAt: isoDate.describe('the instant the pre-weekend freeze is (or was) allowed'),
          top: z.array(driver.extend({ team: z.string(), pWin: z.number(), pPodium: z.number(), pPoints: z.number() })).describe(`the ${OVERVIEW_TOP} likeliest winners`),
        })
        .nullable(),
      reason: z.string().nullable().describe('why there is no pre-weekend forecast (e.g. no entry list known)'),
    }))
    .describe(`the next ${OVERVIEW_RACES} races after the round`),
  title: z
    .object({
      season: z.number().int(),
      round: z.number().int(),
      model: z.string(),
      samples: z.number().int(),
      drivers: z.array(driver.extend(titleEntity)),
      constructors: z.array(z.object({ constructorId: z.number().int(), team: z.string(), ...titleEntity })),
    })
    .nullable()
    .describe(`the championship odds after the round (GET /championship/{year}/{round}): the ${OVERVIEW_TOP} likeliest champions of each`),
  titleReason: z.string().nullable().describe('why there are no title odds'),
});

export const overviewRoutes = {
  overview: defineRoute({
    method: 'GET',
    path: '/overview',
    summary: `At a glance: a season as it stood after a round (default: the present) — the last ${OVERVIEW_RACES} races (forecast against result, scores beside the grid baseline), the next ${OVERVIEW_RACES} (pre-weekend forecast, provisional when not frozen by then) and the title odds`,
    query: overviewQuery,
    responses: {
      200: { description: 'the overview', schema: overviewBody },
      ...refusals,
      404: refusal('unknown season or round'),
      409: refusal('the round (or every round of the season) has not finished yet'),
    },
  }),
};

/** The landing view's read, on the api function. */
export function createOverviewApi(deps: OverviewDeps): BoundRoute[] {
  return [
    bind(overviewRoutes.overview, async ({ query }) =>
      // Short: the present moves with the clock, and a provisional forecast with the learner.
      json(200, await overview(deps, query), { 'Cache-Control': 'public, max-age=60' })),
  ];
}
