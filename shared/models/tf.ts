import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../log/logger.js';

/**
 * TensorFlow.js backend setup, once per process at an edge. @tensorflow/tfjs-node (an
 * optionalDependency that installs in the training container) is used when it loads;
 * otherwise the wasm backend, which is 3–5× faster than the pure-JS cpu backend.
 */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

export async function setupTensorflow(options: { prefer?: TfBackend; logger?: Logger } = {}): Promise<TfBackend> {
  routeTfWarnings(options.logger);
  if (options.prefer !== 'wasm' && options.prefer !== 'cpu') {
    try {
      await import('@tensorflow/tfjs-node' as string);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return 'tensorflow';
      }
    } catch {
      // not installed here (it downloads libtensorflow at install time): fall through to wasm
    }
  }
  if (options.prefer !== 'cpu') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch {
      // no wasm binary: the cpu backend still works
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/**
 * Warnings tfjs writes with console.warn, which would land raw among the JSON logs. Each
 * is known and harmless here, so it goes to the logger once (or nowhere without one).
 */
const knownTfWarnings: { key: string; pattern: RegExp; level: 'debug' | 'info'; why: string }[] = [
  {
    key: 'orthogonal-initializer-slow',
    pattern: /^Orthogonal initializer is being called on a matrix with more than/,
    level: 'debug',
    why: "the LSTM's recurrent kernel is initialised once per model build by a QR decomposition; it takes milliseconds at these sizes",
  },
  {
    key: 'cpu-backend',
    pattern: /looks like you are running TensorFlow\.js in Node\.js/,
    level: 'info',
    why: 'neither tfjs-node nor the wasm backend loaded: training runs on the slower pure-JS cpu backend',
  },
];

let route: { logger: Logger | undefined; seen: Set<string> } | undefined;

/** Installs the filter once per process (console is process-wide); a later logger replaces an earlier one. */
function routeTfWarnings(logger: Logger | undefined): void {
  if (route) {
    route.logger = logger ?? route.logger;
    return;
  }
  const state = (route = { logger, seen: new Set<string>() });
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    const known = knownTfWarnings.find((w) => w.pattern.test(text));
    if (!known) return original.apply(console, args);
    if (state.seen.has(known.key)) return;
    state.seen.add(known.key);
    state.logger?.[known.level](`tensorflow.js: ${text.trim().replace(/\s*=+\s*/g, ' ').trim()}`, { source: 'tfjs', warning: known.key, why: known.why });
  };
}

export { tf };
