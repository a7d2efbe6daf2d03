import cliProgress from 'cli-progress';
import type { Logger } from './logger.js';

/**
 * Progress of long work: a bar on a terminal, a structured log line every few percent
 * otherwise (so Cloud Logging shows progress without a line per item). A first step can
 * take half a minute (a transaction of lap rows, a history load), so neither may look
 * frozen meanwhile: the bar shows the elapsed time and what it is waiting for, and the log
 * says when the work starts and, while no step completes, that it is still at it.
 */
export interface Progress {
  tick(n?: number, label?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** What the work is busy with until its first step completes ("loading lap files"). */
  waiting?: string;
  /** Off a terminal: a "still working" line after this long without a new line. */
  heartbeatMs?: number;
  /** Where the bar goes (stderr); a bar only on a terminal. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

const HEARTBEAT_MS = 30_000;

export function createProgress(logger: Logger, task: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const waiting = options.waiting ?? `working on the first of ${total}`;
  if (logger.pretty && stream.isTTY) {
    // {duration_formatted} advances every second (cli-progress redraws on a timer), so a
    // long first step reads "0/120 14s loading lap files…", not a frozen 0%.
    const bar = new cliProgress.SingleBar(
      { format: `${task} [{bar}] {percentage}% {value}/{total} {duration_formatted} {label}`, hideCursor: true, stream, fps: 4 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: `${waiting}…` });
    return { tick: (n = 1, label = '') => bar.increment(n, { label }), stop: () => bar.stop() };
  }
  const started = Date.now();
  let done = 0;
  let lastPct = -1;
  let label: string | undefined;
  logger.info(`${task}: started`, { task, done, total, waiting });
  // unref'd: a heartbeat never keeps the process alive on its own.
  const heartbeat = setInterval(() => {
    logger.info(`${task}: still working`, { task, done, total, elapsedSeconds: Math.round((Date.now() - started) / 1000), ...(label ? { after: label } : { waiting }) });
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const stop = () => clearInterval(heartbeat);
  return {
    tick(n = 1, tickLabel) {
      done += n;
      label = tickLabel ?? label;
      const pct = total > 0 ? Math.floor((done / total) * 10) * 10 : 100;
      if (pct !== lastPct) {
        lastPct = pct;
        heartbeat.refresh();
        logger.info(`${task}: ${pct}%`, { task, done, total, ...(tickLabel ? { label: tickLabel } : {}) });
      }
      if (done >= total) stop();
    },
    stop,
  };
}
