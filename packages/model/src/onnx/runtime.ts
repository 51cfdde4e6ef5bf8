/** Runs a SINet model in onnxruntime (Node or web): the model is exported in memory and fed NCHW batches. */
import * as tf from '@sinet/layers/tfjs';
import { ModelError } from '../errors.js';
import { exportOnnx } from './export.js';

/** The part of onnxruntime's API that onnxruntime-node and onnxruntime-web share and the runner uses. */
export interface OnnxRuntimeModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OnnxRuntimeSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OnnxRuntimeTensor;
}
export interface OnnxRuntimeTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OnnxRuntimeSession {
  run(feeds: Record<string, OnnxRuntimeTensor>): Promise<Record<string, OnnxRuntimeTensor>>;
  release(): Promise<void>;
}

/** Runs the network on preprocessed NHWC batches and resolves with NHWC logits; a Segmenter owns one. */
export interface ModelRunner {
  readonly runtime: 'onnx';
  run(x: tf.Tensor4D): Promise<tf.Tensor4D>;
  dispose(): Promise<void>;
}

export class OnnxRuntimeError extends ModelError {
  constructor(message: string) {
    super(message, 'ONNX_RUNTIME');
  }
}

export interface OnnxRunnerOptions {
  /** Passed to `InferenceSession.create` (execution providers, threads...). */
  sessionOptions?: Record<string, unknown>;
}

/** Exports `model` to ONNX in memory and opens an onnxruntime session on it. */
export async function createOnnxRunner(model: tf.LayersModel, ort: OnnxRuntimeModule, options: OnnxRunnerOptions = {}): Promise<ModelRunner> {
  const exported = exportOnnx(model);
  let session: OnnxRuntimeSession | null = await ort.InferenceSession.create(exported.bytes, options.sessionOptions);
  return {
    runtime: 'onnx',
    async run(x: tf.Tensor4D): Promise<tf.Tensor4D> {
      if (!session) throw new OnnxRuntimeError('this onnxruntime session was released');
      const nchw = tf.transpose(x, [0, 3, 1, 2]);
      let data: Float32Array;
      try {
        data = (await nchw.data()) as Float32Array;
      } finally {
        nchw.dispose();
      }
      const feeds = { [exported.inputName]: new ort.Tensor('float32', data, nchw.shape) };
      const output = (await session.run(feeds))[exported.outputName]!;
      return tf.tidy(() => tf.transpose(tf.tensor4d(output.data as Float32Array, output.dims as [number, number, number, number]), [0, 2, 3, 1]));
    },
    async dispose(): Promise<void> {
      const s = session;
      session = null;
      await s?.release();
    },
  };
}

/**
 * The onnxruntime module for `runtime: 'onnx'`: the one given, else `name` imported (an optional
 * peer), with an error that says what to install.
 */
export async function importOnnxRuntime(name: string, given?: OnnxRuntimeModule): Promise<OnnxRuntimeModule> {
  if (given) return given;
  try {
    const loaded = (await import(/* @vite-ignore */ name)) as OnnxRuntimeModule & { default?: OnnxRuntimeModule };
    return loaded.InferenceSession ? loaded : loaded.default!;
  } catch (e) {
    throw new OnnxRuntimeError(`runtime 'onnx' needs ${name}, which did not load (${(e as Error).message.split('\n')[0]}); install it (npm install ${name}) or pass the module as { onnxruntime }`);
  }
}
