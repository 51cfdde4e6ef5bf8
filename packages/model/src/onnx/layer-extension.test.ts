/**
 * A layer of one's own exports to ONNX from its own file: its class carries the forward pass and
 * the conversion (static toOnnx, found by the exporter on the class), nothing else to register.
 * Here a dilated depthwise convolution + PReLU, checked in onnxruntime against tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { conv, convKernel, oneInput, prelu, weight, type LayerConversion } from '@sinet/layers/onnx';
import { sinetLayers } from '@sinet/layers';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../node/backend.js';
import { exportOnnx } from './export.js';

class DilatedDepthwisePReLU extends tf.layers.Layer {
  static className = 'DilatedDepthwisePReLU';
  private kernel!: tf.LayerVariable;
  private alpha!: tf.LayerVariable;

  constructor(readonly args: { kernelSize: number; dilation: number; name?: string }) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = (inputShape as tf.Shape).at(-1) as number;
    this.kernel = this.addWeight('depthwise_kernel', [this.args.kernelSize, this.args.kernelSize, channels, 1], 'float32', tf.initializers.glorotUniform({ seed: 3 }));
    this.alpha = this.addWeight('prelu_alpha', [channels], 'float32', tf.initializers.constant({ value: 0.25 }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => tf.prelu(tf.depthwiseConv2d(x, this.kernel.read() as tf.Tensor4D, 1, 'same', 'NHWC', this.args.dilation), this.alpha.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.args.kernelSize, dilation: this.args.dilation };
  }

  static toOnnx(c: LayerConversion): string {
    const k = c.config.kernelSize as number;
    const d = c.config.dilation as number;
    const kernel = convKernel(weight(c.layer, c.weights, 'depthwise_kernel'), true);
    const pad = (d * (k - 1)) / 2;
    const y = conv(c.graph, oneInput(c), `${c.layer.name}.depthwise`, { kernel, pad, dilation: d, group: kernel.shape[0] });
    return prelu(c.graph, y, c.layer.name, weight(c.layer, c.weights, 'prelu_alpha'));
  }
}
tf.serialization.registerClass(DilatedDepthwisePReLU);

beforeAll(async () => {
  await initBackend('cpu', { log: null });
});

describe('a layer defined outside @sinet/layers', () => {
  it('exports through its own static toOnnx and matches tfjs in onnxruntime', async () => {
    const input = tf.input({ shape: [32, 32, 3] });
    const stem = sinetLayers.convBNPReLU({ filters: 8, kernelSize: 3, strides: 1, name: 'stem' }).apply(input) as tf.SymbolicTensor;
    const output = new DilatedDepthwisePReLU({ kernelSize: 3, dilation: 2, name: 'dilated' }).apply(stem) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const want = model.predict(x) as tf.Tensor;
    const exported = exportOnnx(model);
    const session = await ort.InferenceSession.create(exported.bytes);
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const out = (await session.run({ [exported.inputName]: new ort.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape) }))[exported.outputName]!;
    const got = tf.transpose(tf.tensor4d(out.data as Float32Array, out.dims as [number, number, number, number]), [0, 2, 3, 1]);
    expect(got.shape).toEqual(want.shape);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    await session.release();
    tf.dispose([x, want, nchw, got]);
    model.dispose();
  });
});
