import { z } from 'zod';

/**
 * The read API's contract: parameter schemas (parsed on every request; a failure is a
 * 400 with the zod issues) and response schemas (documentation; /openapi.json is
 * generated from both).
 */

// Ids are PostgreSQL integers: anything beyond int4 is a client error, not a DB overflow.
const id = z.coerce.number().int().min(1).max(2_147_483_647);
export const season = z.coerce.number().int().min(1950).max(2100);

export const raceIdParams = z.object({ raceId: id });
export const seasonParams = z.object({ year: season });
export const seasonQuery = z.object({ season });
export const raceRefParams = z.object({ year: season, race: z.string().trim().min(1).max(80) });
export const raceRefQuery = raceRefParams;

const isoDate = z.string().describe('ISO 8601 instant');

export const raceSummary = z.object({
  id: z.number().int(),
  season: z.number().int(),
  round: z.number().int(),
  name: z.string(),
  startsAt: isoDate,
  freezeAllowedAt: isoDate,
  freezeStatus: z.enum(['frozen', 'open', 'waiting']),
  predictionId: z.number().int().nullable(),
});

export const predictionEntry = z.object({
  driverId: z.number().int(),
  driver: z.string(),
  code: z.string().nullable(),
  constructorId: z.number().int(),
  team: z.string(),
  predictedPosition: z.number().int(),
  expectedPosition: z.number(),
  medianPosition: z.number().nullable().describe('median finishing position of the forecast distribution, the point forecast position MAE scores; null for snapshots frozen before it was stored'),
  gapSeconds: z.number(),
  gapInterval: z.tuple([z.number(), z.number()]).describe('80% interval of the gap to the winner, seconds'),
  gapFlagged: z.boolean(),
  pWin: z.number(),
  pPodium: z.number(),
  pPoints: z.number(),
  pDnf: z.number(),
  featureCoverage: z.number(),
  imputedCount: z.number().int(),
  strategy: z.record(z.string(), z.unknown()).nullable(),
});

export const predictionBody = z.object({
  id: z.number().int(),
  race: z.object({ id: z.number().int(), season: z.number().int(), round: z.number().int(), name: z.string() }),
  modelVersion: z.string(),
  createdAt: isoDate,
  freezePolicy: z.object({ kind: z.enum(['post_qualifying', 't_minus']), minutes: z.number().int().optional() }),
  snapshotAt: isoDate,
  sessionType: z.enum(['qualifying', 'pre_race']),
  inputsHash: z.string(),
  confidence: z.number(),
  featureCoverage: z.number(),
  imputedCount: z.number().int(),
  status: z.literal('frozen'),
  warnings: z.array(z.string()),
  entries: z.array(predictionEntry),
});

export const resultEntry = z.object({
  driverId: z.number().int(),
  driver: z.string(),
  code: z.string().nullable(),
  constructorId: z.number().int(),
  team: z.string(),
  grid: z.number().int(),
  position: z.number().int().nullable(),
  positionText: z.string(),
  positionOrder: z.number().int(),
  points: z.number(),
  laps: z.number().int(),
  time: z.string().nullable(),
  milliseconds: z.number().nullable(),
  status: z.string(),
});
export const resultsBody = z.object({ raceId: z.number().int(), race: z.string(), results: z.array(resultEntry) });

const probs = z.object({ win: z.number().nullable(), podium: z.number().nullable(), points: z.number().nullable(), dnf: z.number().nullable() });
const orderScores = z.object({
  positionMae: z.number().nullable(),
  winnerCorrect: z.boolean(),
  podiumAccuracy: z.number().nullable(),
  top10Accuracy: z.number().nullable(),
  spearman: z.number().nullable(),
});
export const metricsBody = orderScores.extend({
  raceId: z.number().int(),
  predictionId: z.number().int(),
  evaluatedAt: isoDate,
  starters: z.number().int(),
  timeMaeSeconds: z.number().nullable(),
  brier: probs,
  logLoss: probs,
  calibrationError: probs,
  intervalCoverage: z.number().nullable(),
  baseline: orderScores,
});

export const seasonMetricsBody = z.object({
  season: z.number().int(),
  races: z.array(
    z.object({
      round: z.number().int(),
      race: z.string(),
      raceId: z.number().int(),
      model: orderScores.extend({ brierWin: z.number().nullable() }),
      gridBaseline: orderScores,
    }),
  ),
  totals: z.object({
    races: z.number().int(),
    model: z.object({ positionMae: z.number().nullable(), winnerAccuracy: z.number().nullable(), spearman: z.number().nullable(), brierWin: z.number().nullable() }),
    gridBaseline: z.object({ positionMae: z.number().nullable(), winnerAccuracy: z.number().nullable(), spearman: z.number().nullable() }),
  }),
});

export const personBody = z.object({ id: z.number().int(), ref: z.string(), code: z.string().nullable(), name: z.string(), number: z.number().nullable(), nationality: z.string().nullable() });
export const teamBody = z.object({ id: z.number().int(), ref: z.string(), name: z.string(), nationality: z.string().nullable() });
export const standingBody = z.object({ position: z.number().nullable(), id: z.number().int(), name: z.string(), points: z.number(), wins: z.number().int() });
export const standingsBody = z.object({ season: z.number().int(), afterRound: z.number().int().nullable(), drivers: z.array(standingBody), constructors: z.array(standingBody) });
export const modelsBody = z.object({
  current: z.string(),
  models: z.array(z.object({ modelVersion: z.string(), races: z.number().int(), positionMae: z.number().nullable(), winnerAccuracy: z.number().nullable(), brierWin: z.number().nullable() })).describe('live performance: evaluations of frozen predictions per model version'),
  registered: z.array(z.object({ kind: z.enum(['race', 'pit']), version: z.string(), trainedAt: z.string(), dataFromSeason: z.number().int(), dataToSeason: z.number().int(), metrics: z.record(z.string(), z.unknown()) })).describe('trained versions with their backtest metrics'),
});
export const healthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
});
export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
export const syncBody = z.object({
  raceId: z.number().int(),
  source: z.enum(['jolpica', 'dump']),
  classified: z.number().int(),
  evaluation: metricsBody.nullable(),
  modelUpdate: z
    .object({ status: z.enum(['updated', 'unchanged', 'skipped']), modelVersion: z.string().nullable(), reason: z.string().nullable() })
    .nullable()
    .describe('the post-race model update: the version the next freeze uses'),
});

export const seasonsBody = z.object({ seasons: z.array(z.number().int()).describe('seasons with races, newest first') });
export const seasonReliabilityBody = z.object({
  season: z.number().int(),
  races: z.number().int(),
  probabilities: z.array(
    z.object({
      name: z.enum(['win', 'podium', 'points', 'dnf']),
      count: z.number().int(),
      bins: z.array(z.object({ lower: z.number(), upper: z.number(), count: z.number().int(), meanForecast: z.number(), observed: z.number() })),
    }),
  ),
});
