import cliProgress from 'cli-progress';
import type { Logger } from './logger.js';

/**
 * Progress of long work: a bar on a terminal, a structured log line every few percent
 * otherwise (so Cloud Logging shows progress without a line per item).
 */
export interface Progress {
  tick(n?: number, label?: string): void;
  stop(): void;
}

export function createProgress(logger: Logger, task: string, total: number): Progress {
  if (logger.pretty && process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${task} [{bar}] {percentage}% {value}/{total} {label}`, hideCursor: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: '' });
    return { tick: (n = 1, label = '') => bar.increment(n, { label }), stop: () => bar.stop() };
  }
  let done = 0;
  let lastPct = -1;
  return {
    tick(n = 1, label) {
      done += n;
      const pct = total > 0 ? Math.floor((done / total) * 10) * 10 : 100;
      if (pct !== lastPct) {
        lastPct = pct;
        logger.info(`${task}: ${pct}%`, { task, done, total, ...(label ? { label } : {}) });
      }
    },
    stop() {},
  };
}
