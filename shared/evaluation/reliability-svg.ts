import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { reliabilityBins } from './metrics.js';

/**
 * Reliability diagrams (observed frequency against mean predicted probability, per bin)
 * rendered headless to SVG with Vega-Lite → Vega → View.toSVG (no canvas needed).
 */
export interface ReliabilitySeries {
  name: string;
  pairs: readonly (readonly [number, number])[];
}

export async function reliabilitySvg(title: string, series: readonly ReliabilitySeries[], bins = 10): Promise<string> {
  const values = series.flatMap((s) =>
    reliabilityBins(s.pairs.map((p) => p[0]), s.pairs.map((p) => p[1] as 0 | 1), bins).map((b) => ({
      forecaster: s.name,
      predicted: b.meanPredicted,
      observed: b.observedRate,
      count: b.count,
    })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 360,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'predicted', type: 'quantitative', title: 'mean predicted probability', scale: { domain: [0, 1] } },
          y: { field: 'observed', type: 'quantitative', title: 'observed frequency', scale: { domain: [0, 1] } },
          color: { field: 'forecaster', type: 'nominal' },
          tooltip: [{ field: 'count', type: 'quantitative' }],
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
