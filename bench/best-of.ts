/** The fastest of `runs` calls of `fn`, in ms: the one least disturbed by the rest of a shared machine. */
export function bestOfMs(runs: number, fn: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
