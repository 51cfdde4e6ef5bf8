export { EG1800, haveShared, OFFICIAL_WEIGHTS, PARITY_DIR, repoRoot, sharedPath, sharedRoot } from './shared.js';
export { readNpy, type NpyArray } from './npy.js';
export { checkGradient, expectClose, expectNoLeak, maxAbsDiff, randomArray, randomTensor, seededRandom } from './numeric.js';
export * as reference from './reference.js';
export { freshDir, freshProject, installExample, packageDir, packPackage, runNode, runNodeAsync, tarballFiles, typecheck } from './pack.js';
export { useBackend } from './backend.js';
export { maxWeightDifference, readSavedWeights } from './saved-weights.js';
export { fc, fuzz, FUZZ_RUNS, fuzzTimeout, mutatedBytes, mutatedJson } from './fuzz.js';
export { apiReport, type ApiReport } from './api-report.js';
