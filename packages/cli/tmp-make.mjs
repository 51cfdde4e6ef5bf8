import { createSINet, setSINetMetadata, resolveSINetConfig, OFFICIAL_PREPROCESSING } from '@sinet/model';
import { initBackend, saveModel } from '@sinet/model/node';
await initBackend('wasm', { log: null });
for (const [name, cfg] of [['m256', { inputSize: [64, 64], classes: 256 }], ['m4096', { inputSize: [4096, 4096] }], ['m2048', { inputSize: [2048, 2048] }]]) {
  const config = resolveSINetConfig(cfg);
  const m = createSINet(config);
  setSINetMetadata(m, { format: 1, config, classNames: Array.from({ length: config.classes }, (_, i) => i === 1 ? 'person' : `c${i}`), personClass: 1, preprocessing: OFFICIAL_PREPROCESSING, source: 'test' });
  await saveModel(m, '/tmp/hostile/' + name);
}
