import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log/logger.js';
import { setupTensorflow, tf } from '../../shared/models/tf.js';
import { buildPitModel, defaultModelOptions } from '../../shared/pits/model.js';

/** Issue 12: tfjs's "Orthogonal initializer ... Slowness may result." lines appeared raw among the JSON logs. */
describe('tfjs warnings go through the logger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the pit model builds without a raw console line; each tfjs warning is logged once', async () => {
    // What would reach stderr: console.warn as it was before tfjs was set up.
    const raw = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', level: 'debug', stream: { write: (l: string) => (lines.push(l), true) } as never });
    await setupTensorflow({ prefer: 'cpu', logger });

    for (let i = 0; i < 2; i++) buildPitModel(defaultModelOptions).dispose();
    expect(raw).not.toHaveBeenCalled();
    const logged = lines.map((l) => JSON.parse(l) as { severity: string; message: string; warning?: string });
    // The cpu backend's banner too (the pure-JS backend chosen here), each once.
    expect(logged.map((l) => [l.severity, l.warning])).toEqual([
      ['INFO', 'cpu-backend'],
      ['DEBUG', 'orthogonal-initializer-slow'],
    ]);
    expect(logged[1]!.message).toMatch(/^tensorflow\.js: Orthogonal initializer is being called on a matrix with more than 2000 \(\d+\) elements/);

    // Anything else still reaches the console.
    console.warn('something else');
    expect(raw).toHaveBeenCalledWith('something else');
    expect(tf.getBackend()).toBe('cpu');
  });
});
