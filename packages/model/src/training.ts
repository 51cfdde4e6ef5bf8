/**
 * `@sinet/model/training`: what a trainer needs of the network beyond the root: seeded
 * initialisation, the encoder alone (training stage 1), and the weight naming rules that decide
 * what a frozen encoder keeps and what weight decay reaches.
 */
export { initializeWeights, isEncoderWeight, isKernelWeight, sinetEncoder } from './architecture.js';
