/**
 * The baseline title forecast "ranks by current points": the probability it gives the entity at
 * points rank k after a share f of a season is how often, in earlier seasons, the entity at rank
 * k after the same share of its season (round ceil(f × rounds)) became champion. Fitted only on
 * the seasons strictly before the one scored, and smoothed toward a geometric prior over the
 * ranks (so a rank never seen to win keeps a small probability):
 *
 *   p(k) = (count(k) + α·g(k)) / (N + α),  g(k) = (1 − q)·q^(k−1) / (1 − q^K), k = 1..K
 *
 * with N the earlier seasons, K the entities ranked in the scored season. α and q were chosen on
 * the 2009–2013 validation seasons (bench/README.md "Championship odds").
 */

/** One past season: how many rounds it had, and the champion's standings position after each (index 0 = round 1). */
export interface ChampionRankTrace {
  season: number;
  rounds: number;
  championRank: readonly (number | null)[];
}

export interface RankBaselineSettings {
  /** Weight of the prior, in seasons. */
  alpha: number;
  /** Geometric decay of the prior over ranks. */
  q: number;
  /** The first season counted. */
  fromSeason: number;
}

/**
 * Chosen on 2009–2013 (mean log loss of P(real champion) after every round, drivers plus
 * constructors, over α 0.5–12 and q 0.2–0.8): a flat optimum, 2010's comeback from fourth weighs most.
 */
export const rankBaselineSettings: RankBaselineSettings = { alpha: 8, q: 0.6, fromSeason: 1980 };

/** The round a share of a season falls on: ceil(fraction × rounds), at least 1. */
export const roundAt = (fraction: number, rounds: number): number => Math.max(1, Math.min(rounds, Math.ceil(fraction * rounds - 1e-9)));

/**
 * P(champion) by rank (index 0 = the leader) after `fraction` of season `season` with `ranked`
 * entities, from the traces of the seasons before it only.
 */
export function rankBaseline(traces: readonly ChampionRankTrace[], season: number, fraction: number, ranked: number, settings: RankBaselineSettings = rankBaselineSettings): number[] {
  const { alpha, q, fromSeason } = settings;
  const K = Math.max(1, ranked);
  const counts = new Array<number>(K).fill(0);
  let n = 0;
  for (const t of traces) {
    if (t.season >= season || t.season < fromSeason) continue;
    const rank = t.championRank[roundAt(fraction, t.rounds) - 1];
    if (rank == null) continue;
    n++;
    counts[Math.min(K, rank) - 1]!++;
  }
  const norm = (1 - q) / (1 - q ** K);
  return counts.map((c, k) => (c + alpha * norm * q ** k) / (n + alpha));
}
