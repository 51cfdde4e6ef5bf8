/**
 * `@sinet/augment/ops`: the functions the augmenters are built from, for writing augmenters of
 * your own and for tests: affine maps and warps, resizing, blur, JPEG, parameter sampling and
 * checks, and the switch of the pixel kernels' WebAssembly path.
 */
export { composeAffine, fuseGeometry, invertAffine, resizeSample, warpImage, warpLabels, type InverseMatrix, type WarpOptions } from './geometric.js';
export { gaussianBlur } from './photometric.js';
export { jpegRoundTrip, quantizationTable } from './jpeg.js';
export { checkParam, sample as sampleParam, type Param, type ParamBounds, type PerChannel } from './params.js';
export { checkSample } from './image.js';
export { augmentKernelsActive, setAugmentKernelsEnabled } from './simd.js';
