import { z } from 'zod';
import type { CurrentForecaster, DriverForecast } from '../domain/forecast.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import { pAhead } from '../domain/head-to-head.js';
import type { Prediction } from '../domain/prediction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { json } from '../http/handler.js';
import { bind, bodyRefusals, defineRoute, refusal, refusals, type BoundRoute } from '../http/route.js';
import { WRITE_BODY_MAX_BYTES } from '../http/body.js';
import { whatIf, type WhatIfChange } from '../lifecycle/what-if.js';
import type { WorkGate } from '../pits/work-gate.js';
import type { Repository } from '../repository/index.js';
import { decimalId, forecastReason, MAX_ID, raceIdParams, season } from './schemas.js';
import { person } from './read-api.js';

/**
 * Head to head and what-if (issue 17): P(driver A finishes ahead of driver B) from a frozen
 * snapshot's sampled orders, and a race's forecast recomputed with a changed grid (never stored).
 */

const driverParam = (name: string) =>
  z.preprocess((v, ctx) => {
    const t = typeof v === 'string' ? v.trim() : '';
    if (Array.isArray(v) || t.length === 0 || t.length > 40) {
      ctx.addIssue({ code: 'custom', message: `${name} is required once: a driver id or code of the race, e.g. ?a=VER&b=NOR` });
      return z.NEVER;
    }
    return t;
  }, z.string());

export const headToHeadQuery = z.object({
  a: driverParam('a'),
  b: driverParam('b'),
  snapshot: decimalId('snapshot', '?a=VER&b=NOR&snapshot=17').optional().describe('a snapshot id of the race (default: its official forecast)'),
});

const driverOf = z.object({ driverId: z.number().int(), driver: z.string(), code: z.string().nullable() });

export const headToHeadBody = z.object({
  raceId: z.number().int(),
  race: z.string(),
  snapshotId: z.number().int(),
  modelVersion: z.string(),
  a: driverOf,
  b: driverOf,
  pAAheadOfB: z.number().describe('share of the sampled finishing orders in which a finished ahead of b (a classified finisher is ahead of a retirement)'),
  pBAheadOfA: z.number().describe('1 − pAAheadOfB'),
});

const driverRef = z.union([z.number().int().min(1).max(MAX_ID), z.string().trim().min(1).max(40)], { error: 'expected a driver id or code, e.g. 830 or "VER"' });
const actions = ['gridPenalty', 'pitLane', 'grid', 'replacedBy'] as const;

export const whatIfChange = z
  .object({
    driver: driverRef.describe('the driver changed: id or code (e.g. "VER")'),
    gridPenalty: z.number().int().min(1).max(30).optional().describe('places back from his qualifying slot'),
    pitLane: z.literal(true).optional().describe('starts from the pit lane, behind the grid'),
    grid: z.number().int().min(1).max(30).optional().describe('starts from this slot'),
    replacedBy: driverRef.optional().describe('another driver (id or code) takes the seat, the car and its qualifying slot'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const given = actions.filter((a) => c[a] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `give exactly one of ${actions.join(', ')} per change (got ${given.length ? given.join(' and ') : 'none'})` });
    }
  });

/** Every issue of the body's race says what it takes (zod's own would be "Invalid input" or a bare bound). */
const race = {
  error: (iss: { input?: unknown }) =>
    `race ${iss.input === undefined ? 'is required: give' : 'must be'} a round number (1 to 30) or a race or circuit name (at most 80 characters), e.g. {"year": 2024, "race": "Monaco", "changes": [...]}`,
};

export const whatIfBody = z
  .object({
    year: season('year', '{"year": 2024, "race": "Monaco", "changes": [...]}'),
    race: z.union([z.number(race).int(race).min(1, race).max(30, race), z.string(race).trim().min(1, race).max(80, race)], race).describe('a round number or a race or circuit name'),
    changes: z
      .array(whatIfChange, { error: 'changes is required: a list of 1 to 30 changes, e.g. [{"driver": "VER", "gridPenalty": 3}]' })
      .min(1, { error: 'changes must list at least one change, e.g. [{"driver": "VER", "gridPenalty": 3}]' })
      .max(30, { error: 'changes takes at most 30 changes' }),
  })
  .strict();

const forecastFigures = z.object({
  predictedPosition: z.number().int(),
  expectedPosition: z.number(),
  medianPosition: z.number(),
  pWin: z.number(),
  pPodium: z.number(),
  pPoints: z.number(),
  pDnf: z.number(),
});

export const whatIfResponse = z.object({
  race: z.object({ id: z.number().int(), season: z.number().int(), round: z.number().int(), name: z.string() }),
  asOf: z.string().describe('the features are as of the post-qualifying freeze instant'),
  modelVersion: z.string(),
  modelSource: z.enum(['official snapshot', 'current']).describe("official snapshot: the model the race's official forecast was frozen with; current: that one is gone (or there is none), so the version a freeze at asOf would use now"),
  officialSnapshotId: z.number().int().nullable(),
  stored: z.literal(false).describe('a what-if is never stored as a snapshot'),
  changes: z.array(z.string()).describe('the changes as applied, in words'),
  entries: z.array(
    forecastFigures.extend({
      ...driverOf.shape,
      constructorId: z.number().int(),
      team: z.string(),
      grid: z.number().int().describe('the changed grid slot'),
      gridBefore: z.number().int().nullable().describe('the qualifying slot (of the seat, for a replacement)'),
      reasons: z.array(forecastReason).nullable(),
      change: forecastFigures.describe('this forecast minus the unchanged one (of the seat, for a replacement): negative positions = further up'),
      replaces: driverOf.nullable().describe('the driver whose seat this one took'),
    }),
  ),
});

export const explainRoutes = {
  headToHead: defineRoute({
    method: 'GET',
    path: '/predictions/{raceId}/head-to-head',
    summary: "P(driver a finishes ahead of driver b) from the official snapshot's (or a given snapshot's) sampled orders",
    params: raceIdParams,
    query: headToHeadQuery,
    responses: { 200: { description: 'the pair', schema: headToHeadBody }, ...refusals, 404: refusal('unknown race or snapshot, no official snapshot, a snapshot frozen before head-to-head odds were stored, or a driver not in the race') },
  }),
  whatIf: defineRoute({
    method: 'POST',
    path: '/what-if',
    summary: 'A race forecast with a changed grid (penalties, pit-lane starts, a slot, a driver swapped out), beside the unchanged one; never stored',
    body: whatIfBody,
    maxBytes: WRITE_BODY_MAX_BYTES,
    responses: {
      200: { description: 'the changed forecast and each driver’s change', schema: whatIfResponse },
      ...refusals,
      ...bodyRefusals,
      404: refusal('unknown season, race or driver'),
      409: refusal('the race has no qualifying classification (entry list) yet, or the model may not forecast it'),
      503: refusal('other what-ifs are computing: retry after Retry-After seconds'),
    },
  }),
};

export interface ExplainApiDeps {
  repo: Repository;
  policy: FreezePolicy;
  forecaster: CurrentForecaster;
  /** What-ifs are model CPU on the read function's event loop: a few run, a few wait, the rest get 503. */
  gate?: WorkGate;
}

const figures = (d: DriverForecast) => ({
  predictedPosition: d.predictedPosition, expectedPosition: d.expectedPosition, medianPosition: d.medianPosition, pWin: d.pWin, pPodium: d.pPodium, pPoints: d.pPoints, pDnf: d.pDnf,
});
const minus = (a: ReturnType<typeof figures>, b: ReturnType<typeof figures>) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Math.round((v - b[k as keyof typeof b]) * 1e6) / 1e6])) as ReturnType<typeof figures>;

export function createExplainApi(deps: ExplainApiDeps): BoundRoute[] {
  const { repo } = deps;
  const snapshotOf = async (raceId: number, id: number | undefined): Promise<Prediction> => {
    const race = await repo.races.byId(raceId);
    if (!race) throw new NotFoundError('race', raceId, 'race ids are listed by GET /races?season=YYYY');
    const p = id === undefined ? await repo.predictions.official(raceId, deps.policy) : await repo.predictions.byId(id);
    if (!p || p.raceId !== raceId) {
      throw id === undefined
        ? new NotFoundError('official forecast of race', raceId, `${race.name} ${race.season} has no official ${deps.policy.kind} forecast; its snapshots are listed at /predictions/${raceId}/snapshots`)
        : new NotFoundError('snapshot', id, `race ${raceId}'s snapshots are listed at /predictions/${raceId}/snapshots`);
    }
    return p;
  };
  return [
    bind(explainRoutes.headToHead, async ({ params, query }) => {
      const p = await snapshotOf(params.raceId, query.snapshot);
      if (!p.headToHead) {
        throw new NotFoundError('head-to-head odds of snapshot', p.id, 'it was frozen before pitwall stored them (or by the qualifying-order baseline, which samples no orders); later snapshots carry them');
      }
      const ids = p.entries.map((e) => e.driverId);
      const names = await repo.predictions.names(ids, []);
      const find = (ref: string) => {
        const key = ref.toLowerCase();
        return ids.find((id) => String(id) === key || names.drivers.get(id)?.code?.toLowerCase() === key);
      };
      const [a, b] = [find(query.a), find(query.b)];
      const codes = ids.map((id) => names.drivers.get(id)?.code ?? String(id)).join(', ');
      for (const [k, ref, id] of [['a', query.a, a], ['b', query.b, b]] as const) {
        if (id === undefined) throw new NotFoundError(`driver "${ref}" (${k}) in snapshot`, p.id, `the race's drivers are ${codes} (a code or an id)`);
      }
      if (a === b) throw new ValidationError('a and b name the same driver: give two drivers of the race', [{ path: 'b', message: 'must differ from a' }]);
      const race = (await repo.races.byId(p.raceId))!;
      const pa = pAhead(p.headToHead, a!, b!)!;
      return json(200, {
        raceId: p.raceId, race: race.name, snapshotId: p.id, modelVersion: p.modelVersion, a: person(names, a!), b: person(names, b!),
        pAAheadOfB: pa, pBAheadOfA: Math.round((1 - pa) * 1000) / 1000,
      }, { 'Cache-Control': 'public, max-age=300' });
    }),
    bind(explainRoutes.whatIf, async ({ body }) => {
      const ask = () => whatIf({ repo, forecaster: deps.forecaster }, { year: body.year, race: body.race, changes: body.changes as WhatIfChange[] });
      const out = deps.gate ? await deps.gate.run(ask) : await ask();
      const replaced = new Map(out.changes.flatMap((c) => ('replacedBy' in c.change ? [[c.change.replacedBy, c.change.driverId] as const] : [])));
      const names = await repo.predictions.names([...out.entries.map((e) => e.driverId), ...replaced.values()], out.entries.map((e) => e.constructorId));
      return json(200, {
        race: { id: out.race.id, season: out.race.season, round: out.race.round, name: out.race.name },
        asOf: out.asOf.toISOString(),
        modelVersion: out.modelVersion,
        modelSource: out.modelSource,
        officialSnapshotId: out.officialSnapshotId,
        stored: false as const,
        changes: out.changes.map((c) => c.text),
        entries: out.entries.map((e) => ({
          ...person(names, e.driverId),
          constructorId: e.constructorId,
          team: names.constructors.get(e.constructorId) ?? String(e.constructorId),
          grid: e.grid,
          gridBefore: e.gridBefore,
          ...figures(e.forecast),
          reasons: e.reasons,
          change: minus(figures(e.forecast), figures(e.before)),
          replaces: replaced.has(e.driverId) ? person(names, replaced.get(e.driverId)!) : null,
        })),
      }, { 'Cache-Control': 'no-store' });
    }),
  ];
}
