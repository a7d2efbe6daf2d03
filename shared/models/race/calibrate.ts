/**
 * Post-hoc calibration fitted on races the network was not trained on (the last training
 * season, held out): a temperature on the strengths, and Platt scaling of the DNF logit.
 */

/** Plackett–Luce log-likelihood of finishing orders; each race lists its finishers' strengths in finishing order. */
export function plackettLuceLogLik(ordered: readonly (readonly number[])[], temperature: number, topK = Infinity): number {
  let ll = 0;
  for (const s of ordered) {
    // Walk from the back so the running log-sum-exp covers "this and everyone behind".
    let lse = -Infinity;
    for (let k = s.length - 1; k >= 0; k--) {
      const v = s[k]! / temperature;
      lse = lse === -Infinity ? v : Math.max(lse, v) + Math.log1p(Math.exp(-Math.abs(lse - v)));
      if (k < topK) ll += v - lse;
    }
  }
  return ll;
}

/** The temperature maximising the held-out likelihood of the first `topK` places (golden-section on log T). */
export function fitTemperature(ordered: readonly (readonly number[])[], topK = Infinity, lo = 0.3, hi = 3): number {
  if (ordered.length === 0) return 1;
  const f = (logT: number) => -plackettLuceLogLik(ordered, Math.exp(logT), topK);
  let a = Math.log(lo);
  let b = Math.log(hi);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 60; i++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return Math.exp((a + b) / 2);
}

export interface Platt {
  a: number;
  b: number;
}

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Platt scaling p = σ(a·z + b) by Newton's method on the log loss. */
export function fitPlatt(z: readonly number[], y: readonly number[], iterations = 50): Platt {
  let a = 1;
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    let ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (let i = 0; i < z.length; i++) {
      const p = sigmoid(a * z[i]! + b);
      const r = p - y[i]!;
      const w = p * (1 - p);
      ga += r * z[i]!;
      gb += r;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}
