import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log/logger.js';
import { createProgress } from '../../shared/log/progress.js';

/** Issue 12: progress sat at 0% for 20–30 s during start, then jumped. */
describe('progress', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('off a terminal: JSON lines only, a start line, a heartbeat while no step completes, none after stop', () => {
    const out: string[] = [];
    const stream = { isTTY: false, write: (l: string) => (out.push(l), true) } as never;
    const logger = createLogger({ format: 'auto', level: 'info', stream });
    const bar = createProgress(logger, 'ingest laps', 120, { waiting: 'loading lap files', heartbeatMs: 10_000, stream });
    vi.advanceTimersByTime(25_000);
    bar.tick(12, '2019 R3');
    vi.advanceTimersByTime(5_000);
    bar.stop();
    vi.advanceTimersByTime(60_000);

    const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.message)).toEqual(['ingest laps: started', 'ingest laps: still working', 'ingest laps: still working', 'ingest laps: 10%']);
    expect(lines[0]).toMatchObject({ severity: 'INFO', task: 'ingest laps', done: 0, total: 120, waiting: 'loading lap files' });
    expect(lines[2]).toMatchObject({ done: 0, elapsedSeconds: 20, waiting: 'loading lap files' });
    expect(lines[3]).toMatchObject({ done: 12, label: '2019 R3' });
  });

  it('on a terminal: the bar says what it waits for and its clock moves before the first step', () => {
    let screen = '';
    const tty = {
      isTTY: true,
      columns: 120,
      write: (s: string) => ((screen += s), true),
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    } as never;
    const logger = createLogger({ format: 'pretty', level: 'info', stream: tty });
    const bar = createProgress(logger, 'ingest laps', 120, { waiting: 'loading lap files', stream: tty });
    vi.advanceTimersByTime(1_000);
    expect(screen).toMatch(/ingest laps .* 0% 0\/120 1s loading lap files…/);
    vi.advanceTimersByTime(13_000);
    expect(screen).toMatch(/0% 0\/120 14s loading lap files…/);
    bar.tick(12, '2019 R3');
    vi.advanceTimersByTime(1_000);
    expect(screen).toMatch(/10% 12\/120 15s 2019 R3/);
    bar.stop();
  });
});
