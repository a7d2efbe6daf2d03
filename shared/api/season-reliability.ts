import { reliabilityBins } from '../evaluation/metrics.js';
import { outcome, probability, probabilityKinds } from '../lifecycle/evaluate.js';
import type { Repository } from '../repository/index.js';

/**
 * Reliability of each forecast probability over a season: every evaluated race's frozen
 * forecast paired with its classification, binned by forecast probability. The same
 * outcome definitions as the per-race evaluation, so the two never disagree.
 */
export async function seasonReliability(repo: Repository, season: number, bins = 10) {
  const evaluations = await repo.evaluations.season(season);
  const samples = Object.fromEntries(probabilityKinds.map((k) => [k, { p: [] as number[], y: [] as boolean[] }]));
  for (const e of evaluations) {
    const [prediction, results] = await Promise.all([repo.predictions.byId(e.predictionId), repo.reference.results(e.raceId)]);
    if (!prediction) continue;
    const byDriver = new Map(results.map((r) => [r.driverId, r]));
    for (const entry of prediction.entries) {
      const result = byDriver.get(entry.driverId);
      if (!result) continue;
      for (const k of probabilityKinds) {
        samples[k]!.p.push(probability[k](entry));
        samples[k]!.y.push(outcome[k](result));
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
