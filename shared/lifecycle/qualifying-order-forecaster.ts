import type { DriverForecast, ForecastOptions, Forecaster, RaceForecast } from '../domain/forecast.js';
import { applyGridChanges } from '../domain/grid-change.js';
import type { Repository } from '../repository/index.js';

/**
 * The qualifying-order baseline as a Forecaster: finishing order = qualifying order,
 * probabilities from a smooth decay with qualifying position, rescaled so the field's
 * P(win), P(podium), P(points) sum to 1, 3, 10. It uses only the qualifying
 * classification, which is known at any freeze instant the policies allow. It serves
 * when no trained model exists yet (fresh clone) and as a yardstick.
 */
export class QualifyingOrderForecaster implements Forecaster {
  readonly version = 'qualifying-order-v1';
  constructor(private readonly repo: Repository) {}

  /** A what-if's changed grid is simply the new order (no model to ask). */
  async forecast(raceId: number, asOf: Date, options: ForecastOptions = {}): Promise<RaceForecast> {
    const quali = applyGridChanges(await this.repo.reference.qualifying(raceId), options.gridChanges ?? []);
    const n = quali.length;
    const topK = (k: number, scale: number) => {
      const raw = quali.map((_, i) => 1 / (1 + Math.exp((i + 1 - k - 0.5) / scale)));
      return coherent(raw, Math.min(k, n));
    };
    const win = topK(1, 1.2);
    const podium = topK(3, 1.5);
    const points = topK(10, 2.5);
    const drivers = quali.map((q, i): DriverForecast => {
      const gap = i * 3.5;
      return {
        driverId: q.driverId,
        constructorId: q.constructorId,
        predictedPosition: i + 1,
        expectedPosition: i + 1,
        medianPosition: i + 1,
        pWin: win[i]!,
        pPodium: podium[i]!,
        pPoints: points[i]!,
        pDnf: 0.08,
        gapSeconds: gap,
        gapLowSeconds: gap * 0.5,
        gapHighSeconds: gap * 1.6 + 4,
        featureCoverage: 1,
        imputedCount: 0,
      };
    });
    return { raceId, asOf, modelVersion: this.version, drivers };
  }
}

/** Scales probabilities to sum to `total`, capping each at 1 (redistributing the excess). */
function coherent(raw: number[], total: number): number[] {
  const p = [...raw];
  for (let pass = 0; pass < 20; pass++) {
    const free = p.map((x, i) => (x < 1 ? i : -1)).filter((i) => i >= 0);
    const fixed = p.length - free.length;
    const sumFree = free.reduce((s, i) => s + p[i]!, 0);
    if (sumFree <= 0) break;
    const scale = (total - fixed) / sumFree;
    let capped = false;
    for (const i of free) {
      p[i] = p[i]! * scale;
      if (p[i]! >= 1) {
        p[i] = 1;
        capped = true;
      }
    }
    if (!capped) break;
  }
  return p;
}
