/** Its own file, so its own process: kernels are registered process-wide. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';

describe('initBackend without @sinet/wasm-kernels', () => {
  it('importing the Node helpers registers no backend; wasmKernels: false leaves tfjs-wasm as it ships', async () => {
    // Nothing is registered by the import itself: backends load when chosen.
    expect(tf.findBackendFactory('cpu')).toBeNull();
    expect(tf.findBackendFactory('wasm')).toBeNull();
    const lines: string[] = [];
    const info = await initBackend('wasm', { log: (l) => lines.push(l), wasmKernels: false });
    expect(info.kernels).toEqual([]);
    expect(lines).toEqual([expect.stringMatching(/^sinet: backend wasm \(SIMD, 1 thread; tfjs-wasm's own kernels only: no training\)$/)]);
    // tfjs-wasm 4.22 has no filter gradient of its own; @sinet/wasm-kernels would have added one.
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    // Asking again with the kernels registers them, and says so.
    const withKernels = await initBackend('wasm', { log: (l) => lines.push(l) });
    expect(withKernels.kernels).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });
});
