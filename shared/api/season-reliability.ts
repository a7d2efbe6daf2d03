import { reliabilityBins } from '../evaluation/metrics.js';
import { pairsOf, scoreSnapshot } from '../lifecycle/evaluate.js';
import { probabilityKinds } from '../domain/scoring.js';
import type { Repository } from '../repository/index.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';

/**
 * Reliability of each forecast probability over a season: every evaluated race's frozen
 * forecast paired with its classification, binned by forecast probability. The pairs come
 * from the one scorer, so the per-race evaluation and this never disagree.
 */
export async function seasonReliability(repo: Repository, season: number, policy: FreezePolicy, bins = 10) {
  const evaluations = await repo.evaluations.season(season, policy);
  const samples = Object.fromEntries(probabilityKinds.map((k) => [k, { p: [] as number[], y: [] as number[] }]));
  for (const e of evaluations) {
    const [prediction, results] = await Promise.all([repo.predictions.byId(e.predictionId), repo.reference.results(e.raceId)]);
    const scored = prediction ? scoreSnapshot(prediction, results) : null;
    if (!scored) continue;
    for (const k of probabilityKinds) {
      for (const [p, y] of scored[pairsOf[k]]) {
        samples[k]!.p.push(p);
        samples[k]!.y.push(y);
      }
    }
  }
  return {
    season,
    races: evaluations.length,
    probabilities: probabilityKinds.map((name) => ({
      name,
      count: samples[name]!.p.length,
      bins: reliabilityBins(samples[name]!.p, samples[name]!.y, bins).map((b) => ({
        lower: b.lower,
        upper: b.upper,
        count: b.count,
        meanForecast: b.meanPredicted,
        observed: b.observedRate,
      })),
    })),
  };
}
