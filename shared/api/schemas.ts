import { z } from 'zod';

/**
 * The read API's contract: parameter schemas (parsed on every request; a failure is a
 * 400 with the zod issues) and response schemas (documentation; /openapi.json is
 * generated from both).
 */

/**
 * One path or query value, named in every message: missing, repeated (?season=1&season=2) and
 * malformed values each get one sentence that says what to send, and one stated range.
 * Decimal digits only: no sign, space, 0x10, 0b11 or 1e3 (Number() would take them all).
 */
export const decimalInteger = (name: string, min: number, max: number, example: string) =>
  z.preprocess((v, ctx) => {
    if (v === undefined || v === '') {
      ctx.addIssue({ code: 'custom', message: `${name} is required, e.g. ${example}` });
      return z.NEVER;
    }
    if (Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `${name} was given ${v.length} times; give it once` });
      return z.NEVER;
    }
    const text = String(v);
    if (!/^\d{1,12}$/.test(text) || Number(text) < min || Number(text) > max) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, e.g. ${example}; got "${String(v).slice(0, 40)}"` });
      return z.NEVER;
    }
    return Number(text);
  }, z.number().int().min(min).max(max));

const text = (name: string, example: string) =>
  z.preprocess((v, ctx) => {
    if (Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `${name} was given ${v.length} times; give it once` });
      return z.NEVER;
    }
    const t = typeof v === 'string' ? v.trim() : '';
    if (t.length === 0 || t.length > 80) {
      ctx.addIssue({ code: 'custom', message: `${name} is required (a round number or a race name, at most 80 characters), e.g. ${example}` });
      return z.NEVER;
    }
    return t;
  }, z.string().min(1).max(80));

const flag = (name: string) =>
  z.preprocess((v, ctx) => {
    if (v === undefined) return false;
    if (v === 'true' || v === '1' || v === '') return true;
    if (v === 'false' || v === '0') return false;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
    return z.NEVER;
  }, z.boolean());

/** The largest PostgreSQL integer (int4): every id column. */
export const MAX_ID = 2_147_483_647;
// Ids are PostgreSQL integers: anything beyond int4 is a client error, not a DB overflow.
export const decimalId = (name: string, example: string) => decimalInteger(name, 1, MAX_ID, example);
const id = decimalId;
export const season = (name: string, example: string) => decimalInteger(name, 1950, 2100, example);

export const raceIdParams = z.object({ raceId: id('raceId', '/predictions/1121') });
export const snapshotParams = z.object({ raceId: id('raceId', '/predictions/1121'), id: id('id', '/predictions/1121/snapshots/17') });
export const seasonParams = z.object({ year: season('year', '/metrics/season/2024') });
export const seasonQuery = z.object({ season: season('season', '?season=2024') });
/** Which forecast of a race a read names: the configured policy's (default) or the pre-weekend one. */
export const policyQuery = z.object({
  policy: z.enum(['configured', 'pre_weekend']).optional().describe("the configured freeze policy's forecast (default), or the pre-weekend one (frozen before first practice)"),
});
export const raceRefParams = z.object({ year: season('year', '/results/sync/2024/monaco'), race: text('race', '/results/sync/2024/monaco') });
export const raceRefQuery = z.object({
  year: season('year', '?year=2024&race=monaco'),
  race: text('race', '?year=2024&race=monaco'),
  retrospective: flag('retrospective').optional().describe('after the race start: freeze a labelled retrospective snapshot, never official and never scored'),
  policy: z.enum(['configured', 'pre_weekend']).optional().describe("which forecast: the configured policy's (default) or the pre-weekend one, frozen PRE_WEEKEND_FREEZE_HOURS before first practice"),
});

const isoDate = z.string().describe('ISO 8601 instant');

export const raceSummary = z.object({
  id: z.number().int(),
  season: z.number().int(),
  round: z.number().int(),
  name: z.string(),
  startsAt: isoDate,
  freezeAllowedAt: isoDate,
  freezeStatus: z.enum(['frozen', 'open', 'waiting', 'missed']).describe('missed: the race started with no forecast frozen'),
  predictionId: z.number().int().nullable().describe('the official snapshot under the server\'s freeze policy'),
  freezeRefusals: z
    .object({ attempts: z.number().int(), lastAt: isoDate, status: z.number().int(), code: z.string(), reason: z.string() })
    .nullable()
    .describe('while no forecast is frozen: how many scheduled freezes were refused and why the last one was (e.g. no entry list yet); a missed race keeps it'),
  preWeekend: z
    .object({ freezeAllowedAt: isoDate, freezeStatus: z.enum(['frozen', 'open', 'waiting', 'missed']), predictionId: z.number().int().nullable() })
    .nullable()
    .describe('the pre-weekend forecast (GET /predictions/{raceId}?policy=pre_weekend): frozen PRE_WEEKEND_FREEZE_HOURS before first practice; null where none is configured'),
});

/** A model version with the data it has seen, as every forecast and /health name it. */
export const modelLabel = z.object({
  version: z.string(),
  dataFromSeason: z.number().int().nullable(),
  dataToSeason: z.number().int().nullable(),
  learntThrough: z.object({ season: z.number().int(), round: z.number().int(), race: z.string().nullable() }).nullable(),
  label: z.string().describe('e.g. "<version>: network trained on 2013–2023, updated after every race through 2024 R5 Emilia Romagna Grand Prix"'),
});

/** A snapshot's freeze policy as stored: pre_weekend (N hours before first practice) beside the configured kinds. */
const freezePolicy = z.object({ kind: z.enum(['post_qualifying', 't_minus', 'pre_weekend']), minutes: z.number().int().optional(), hours: z.number().optional() });

export const snapshotSummary = z.object({
  id: z.number().int(),
  modelVersion: z.string(),
  kind: z.enum(['forecast', 'retrospective']),
  official: z.boolean(),
  clock: z.enum(['wall', 'simulated']),
  createdAt: isoDate,
  recordedAt: isoDate,
  snapshotAt: isoDate,
  freezePolicy,
});

/** Who a row of a forecast or a result is: the driver and the team they drove for. */
const raceEntrant = z.object({
  driverId: z.number().int(),
  driver: z.string(),
  code: z.string().nullable(),
  constructorId: z.number().int(),
  team: z.string(),
});

/** One reason a forecast says what it says (shared/domain/forecast.ts ForecastReason). */
export const forecastReason = z.object({
  feature: z.string().describe('a feature name, or a model term such as teamOffset'),
  label: z.string(),
  value: z.number().nullable().describe("the feature's value in its own unit; null: unknown (imputed)"),
  valueText: z.string(),
  effect: z.number().describe('expected finishing places it moves the driver against the grid: negative = further up'),
  effectText: z.string(),
  text: z.string().describe('the reason in one sentence'),
});

/** A team's two drivers and P(the first finishes ahead of the second), from the snapshot's sampled orders. */
export const teammateHeadToHead = z.object({
  constructorId: z.number().int(),
  team: z.string(),
  a: z.object({ driverId: z.number().int(), driver: z.string(), code: z.string().nullable() }),
  b: z.object({ driverId: z.number().int(), driver: z.string(), code: z.string().nullable() }),
  pAhead: z.number().describe('P(a finishes ahead of b); P(b ahead of a) = 1 − pAhead'),
});

export const predictionEntry = raceEntrant.extend({
  qualifyingPosition: z.number().int().nullable().describe('the qualifying classification the forecast was frozen with (null: not classified)'),
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
  reasons: z.array(forecastReason).nullable().describe('the biggest reasons (at most 3) against what the grid slot alone would say; [] when none matters; null: frozen before reasons were stored, or by a baseline'),
});

const weatherHour = z.object({
  time: isoDate,
  temperature: z.number().nullable().describe('°C at 2 m'),
  humidity: z.number().nullable().describe('relative humidity at 2 m, %'),
  precipitationProbability: z.number().nullable().describe('%'),
  precipitation: z.number().nullable().describe('mm in the hour'),
  windSpeed: z.number().nullable().describe('km/h at 10 m'),
});
const snapshotWeather = z.object({
  source: z.literal('open-meteo'),
  fetchedAt: isoDate,
  latitude: z.number(),
  longitude: z.number(),
  summary: z
    .object({
      from: isoDate, to: isoDate, meanTemperature: z.number().nullable(), maxPrecipitationProbability: z.number().nullable(),
      totalPrecipitation: z.number().nullable(), meanWindSpeed: z.number().nullable(), maxWindSpeed: z.number().nullable(), meanHumidity: z.number().nullable(),
    })
    .describe('the race window (start to start + 2 h); a null: no hour had the value'),
  hours: z.array(weatherHour).describe('the hours around the race start'),
});

export const predictionBody = z.object({
  id: z.number().int(),
  race: z.object({ id: z.number().int(), season: z.number().int(), round: z.number().int(), name: z.string() }),
  modelVersion: z.string(),
  model: modelLabel,
  kind: z.enum(['forecast', 'retrospective']).describe('retrospective: frozen after the start or by a model that had seen the race; never scored'),
  official: z.boolean().describe('the first forecast of its race and policy: the one listed and scored'),
  clock: z.enum(['wall', 'simulated']).describe('simulated: frozen during a season replay, createdAt is replayed time'),
  createdAt: isoDate.describe('the freeze clock\'s time (replayed time for a simulated clock)'),
  recordedAt: isoDate.describe('when the snapshot was really written'),
  freezePolicy,
  snapshotAt: isoDate,
  sessionType: z.enum(['qualifying', 'pre_race', 'pre_weekend']),
  inputsHash: z.string(),
  confidence: z.number(),
  featureCoverage: z.number(),
  imputedCount: z.number().int(),
  status: z.literal('frozen'),
  warnings: z.array(z.string()),
  entries: z.array(predictionEntry),
  teammates: z.array(teammateHeadToHead).nullable().describe('each team\'s P(one driver finishes ahead of the other); null: frozen before head-to-head odds were stored (any pair: /predictions/{raceId}/head-to-head)'),
  weather: snapshotWeather.nullable().describe('the race-day forecast (Open-Meteo) the freeze saw; null: none, see weatherReason'),
  weatherReason: z.string().nullable().describe('why weather is null (no forecast in range or stored, a failed fetch, frozen before weather was recorded), or what went wrong with the fresh fetch when an older forecast was used'),
});

export const resultEntry = raceEntrant.extend({
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
const resultChange = z.object({
  driverId: z.number().int(),
  driver: z.string().describe('the driver\'s code, else name'),
  kind: z.enum(['changed', 'added', 'removed']),
  fields: z.array(z.object({ field: z.enum(['position', 'positionText', 'status', 'points', 'time', 'laps']), from: z.union([z.string(), z.number()]).nullable(), to: z.union([z.string(), z.number()]).nullable() })),
});
export const resultVersionBody = z.object({
  version: z.number().int(),
  syncedAt: isoDate,
  runId: z.number().int().nullable().describe('the results-sync ingestion run that stored it'),
  summary: z.string().describe('what changed against the previous version, e.g. "SAI: P3 → P4, status Finished → +5 s"'),
  changes: z.array(resultChange),
});
export const resultsBody = z.object({
  raceId: z.number().int(),
  race: z.string(),
  resultVersion: z.number().int().nullable().describe('the version of the classification shown; null when it was never synced (ingested from the dump)'),
  syncedAt: isoDate.nullable().describe('when that version was synced'),
  versions: z.array(resultVersionBody).describe('every classification the race has had, oldest first: a correction after the race is a new version'),
  results: z.array(resultEntry),
});

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
  resultVersion: z.number().int().nullable().describe('the classification version scored (GET /results/{raceId} lists them); null: results never synced'),
});
/** GET /metrics/{raceId}: the current score, and those that re-scores against corrected classifications replaced. */
export const raceMetricsBody = metricsBody.extend({
  superseded: z.array(metricsBody.extend({ supersededAt: isoDate })).describe('earlier scores of this forecast against older classification versions, oldest first'),
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
      resultVersion: z.number().int().nullable().describe('the classification version the score is against'),
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
  currentModel: modelLabel.describe('the version a freeze would use now, with the data it has seen'),
  models: z.array(z.object({ modelVersion: z.string(), races: z.number().int(), positionMae: z.number().nullable(), winnerAccuracy: z.number().nullable(), brierWin: z.number().nullable() })).describe('live performance: evaluations of frozen predictions per model version'),
  registered: z.array(z.object({ kind: z.enum(['race', 'pit']), version: z.string(), trainedAt: z.string(), dataFromSeason: z.number().int(), dataToSeason: z.number().int(), metrics: z.record(z.string(), z.unknown()) })).describe('trained versions with their backtest metrics'),
});
export const healthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
});
const syncOutcomeBody = z.object({
  raceId: z.number().int(),
  source: z.enum(['jolpica', 'dump']),
  classified: z.number().int(),
  evaluation: metricsBody.nullable(),
  modelUpdate: z
    .object({ status: z.enum(['updated', 'unchanged', 'skipped']), modelVersion: z.string().nullable(), reason: z.string().nullable() })
    .nullable()
    .describe('the post-race model update: the version the next freeze uses'),
  championship: z
    .object({ status: z.enum(['stored', 'skipped', 'failed']), season: z.number().int().nullable(), round: z.number().int().nullable(), model: z.string().nullable(), reason: z.string().nullable() })
    .optional()
    .describe('the title odds after the race (GET /championship/{year}/{round}); a failure is reported here and never fails the sync'),
});
export const syncBody = syncOutcomeBody.extend({
  runId: z.number().int().describe('the results-sync ingestion run'),
  result: z.object({
    outcome: z.enum(['stored', 'unchanged', 'corrected']).describe('stored: the first version; corrected: a new version, the forecast re-scored against it'),
    version: z.number().int(),
    syncedAt: isoDate,
    summary: z.string(),
  }),
});
export const recheckBody = syncBody
  .extend({
    races: z.array(
      z.object({
        raceId: z.number().int(), season: z.number().int(), round: z.number().int(), name: z.string(),
        outcome: z.enum(['stored', 'unchanged', 'corrected', 'not_published', 'refused']),
        resultVersion: z.number().int().nullable(),
        detail: z.string().describe('what changed, or why there was no sync'),
      }),
    ).describe('every race re-checked (started within 7 days, and the last finished one), in calendar order'),
  })
  .describe('the sync of the last finished race, as POST /{year}/{race} answers, beside every race re-checked');

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
