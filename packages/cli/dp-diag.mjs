import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@sinet/model/node';
import { sinetLoss } from '@sinet/losses';
await initBackend('wasm', { log: null });
const N=24, S=224;
const labels = tf.tensor4d(Int32Array.from({length:N*S*S},(_,i)=>Math.hypot((i%S)-S/2, Math.floor(i/S)%S - S/2) < S/3 ? 1 : 0), [N,S,S,1], 'int32');
const logits = tf.randomNormal([N,S,S,2]);
const loss = sinetLoss({ preset: 'official-decoder' });
const f = () => { const { value, grads } = tf.variableGrads ? null : null; };
const run = () => tf.tidy(() => { const g = tf.valueAndGrad((l) => loss(labels, l)); const { value, grad } = g(logits); return [value, grad]; });
for (let i=0;i<3;i++) { const r = run(); await r[1].data(); tf.dispose(r); }
const prof = await tf.profile(async () => { const r = run(); await r[1].data(); tf.dispose(r); });
const by = new Map(); for (const k of prof.kernels) { const e = by.get(k.name) ?? [0,0]; e[0]+=k.kernelTimeMs; e[1]++; by.set(k.name,e); }
console.log('kernels', prof.kernels.length, 'total', prof.kernels.reduce((a,k)=>a+k.kernelTimeMs,0).toFixed(1));
[...by].sort((a,b)=>b[1][0]-a[1][0]).slice(0,20).forEach(([n,[t,c]])=>console.log(n.padEnd(28), t.toFixed(1).padStart(7),'ms', c,'calls'));
const ts=[]; for (let i=0;i<5;i++){ const t=performance.now(); const r=run(); await r[1].data(); tf.dispose(r); ts.push(performance.now()-t);} ts.sort((a,b)=>a-b); console.log('median', ts[2].toFixed(1), 'ms');
