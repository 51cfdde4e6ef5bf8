/** What every view reads: the model at the chosen size on the active backend. */
import type * as tf from '@sinet/layers/tfjs';
import type { ModelFiles } from '@sinet/model';
import type { BackendName, InputSizeChoice } from './constants';
import type { ModelSource, SizedModel } from './engine/model-source';

export interface AppState {
  source: ModelSource | null;
  base: tf.LayersModel | null;
  sized: SizedModel | null;
  /** What live landscape frames use: a 192 x 256 model with 'auto', else `sized` itself. */
  liveSized: SizedModel | null;
  /** The model's files for the camera's processor (its worker builds the network from them). */
  liveFiles: ModelFiles | null;
  inputSize: InputSizeChoice;
  backend: BackendName | null;
  /** Which runtime runs the network: tfjs on `backend`, or onnxruntime-web (with tfjs wasm for the rest). */
  runtime: 'tfjs' | 'onnx';
}
