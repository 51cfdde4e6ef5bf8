/**
 * The TensorFlow.js SINet.js uses: core and layers in one namespace (`@sinet/layers/tfjs` for
 * the other packages). Not the `@tensorflow/tfjs` union, whose converter and data modules would
 * add ~380 KB to every browser bundle that imports us.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
