import * as tf from '@tensorflow/tfjs';

/**
 * TensorFlow.js backend setup, once per process at an edge. @tensorflow/tfjs-node (an
 * optionalDependency that installs in the training container) is used when it loads;
 * otherwise the wasm backend, which is 3–5× faster than the pure-JS cpu backend.
 */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

export async function setupTensorflow(options: { prefer?: TfBackend } = {}): Promise<TfBackend> {
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

export { tf };
