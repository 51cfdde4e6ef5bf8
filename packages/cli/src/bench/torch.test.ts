import { describe, expect, it } from 'vitest';
import { machineLine } from '@sinet/train';
import { haveShared, sharedPath } from '@sinet/test-utils';
import path from 'node:path';
import { main } from '../main.js';
import { benchTorch, findTorchPython, torchRatios, type TorchBench } from './torch.js';

const torch: TorchBench = {
  python: 'python3',
  torch: '1.13',
  network: 'official',
  parameters: 86910,
  training: [
    { threads: 1, batch: 16, medianStepMs: 1000, imagesPerSecond: 16 },
    { threads: 2, batch: 16, medianStepMs: 640, imagesPerSecond: 25 },
  ],
  inference: [
    { threads: 1, medianMs: 30 },
    { threads: 2, medianMs: 18 },
  ],
};

describe('torch comparison', () => {
  it('gives our figures over PyTorch at the same thread counts (hand-computed)', () => {
    const training = [
      { backend: 'wasm', batch: 16, workers: 0, medianStepMs: 2000, imagesPerSecond: 8 },
      { backend: 'wasm', batch: 16, workers: 1, medianStepMs: 800, imagesPerSecond: 20 },
    ];
    const inference = [
      { backend: 'wasm', case: 'forward 1x224x224', runs: 9, medianMs: 24, p10Ms: 23, p90Ms: 26 },
      { backend: 'wasm', case: 'segment 600x800 photo, one pass', runs: 9, medianMs: 2, p10Ms: 2, p90Ms: 2 },
      { backend: 'cpu', case: 'forward 1x224x224', runs: 3, medianMs: 400, p10Ms: 390, p90Ms: 410 },
      { backend: 'wasm', case: 'forward 8x224x224', runs: 3, medianMs: 20, p10Ms: 20, p90Ms: 20 },
    ];
    expect(torchRatios(torch, training, inference)).toEqual({ trainingOneThread: 0.5, trainingAllCores: 0.8, inferenceOneThread: 1.25, onnxInferenceOneThread: null });
    // onnxruntime's rows have their own ratio (its 2-thread session is not "one thread").
    const withOnnx = [...inference, { backend: 'onnx 2t', case: 'forward 1x224x224', runs: 9, medianMs: 5, p10Ms: 5, p90Ms: 5 }, { backend: 'onnx 1t', case: 'forward 1x224x224', runs: 9, medianMs: 7.5, p10Ms: 7, p90Ms: 8 }];
    expect(torchRatios(torch, training, withOnnx)).toEqual({ trainingOneThread: 0.5, trainingAllCores: 0.8, inferenceOneThread: 1.25, onnxInferenceOneThread: 4 });
    expect(torchRatios(torch, undefined, undefined)).toEqual({ trainingOneThread: null, trainingAllCores: null, inferenceOneThread: null, onnxInferenceOneThread: null });
  });

  it('names the CPU, cores and Node version', () => {
    expect(machineLine()).toMatch(new RegExp(`\\d+ cores?, \\d+ GiB, Node ${process.version.replace(/\./g, '\\.')}`));
  });

  it('runs the PyTorch SINet (86,910 parameters) where python3 has torch', async (context) => {
    const python = await findTorchPython();
    if (!python) return context.skip('no python3 with torch here (Debian: python3-torch)');
    const result = await benchTorch(python, { batch: 2, runs: 1, size: 64, network: null });
    expect(result.network).toBe('port');
    expect(result.parameters).toBe(86910);
    expect(result.training[0]).toMatchObject({ threads: 1, batch: 2 });
    expect(result.training[0]!.imagesPerSecond).toBeGreaterThan(0);
    expect(result.inference[0]!.medianMs).toBeGreaterThan(0);
  }, 120_000);

  it.runIf(haveShared('the official PyTorch SINet', ['reference', 'sinet-official', 'pytorch', 'SINet.py']))('times the official Dnc_SINet of clovaai\'s models/SINet.py (86,910 parameters, its prints kept off the JSON)', async (context) => {
    const python = await findTorchPython();
    if (!python) return context.skip('no python3 with torch here (Debian: python3-torch)');
    const result = await benchTorch(python, { batch: 2, runs: 1, size: 64, network: sharedPath('reference', 'sinet-official', 'pytorch', 'SINet.py') });
    expect(result).toMatchObject({ network: 'official', parameters: 86910 });
    expect(result.training.map((t) => t.threads)[0]).toBe(1);
    expect(result.inference[0]!.medianMs).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a --torch-network other than official or port, and official where the file is missing', async () => {
    const io = { out: () => undefined, err: () => undefined };
    if (!(await findTorchPython())) return;
    await expect(main(['bench', '--suite', 'augment', '--runs', '1', '--compare-torch', '--torch-network', 'mine'], io)).rejects.toThrow(/--torch-network must be official or port, got 'mine'/);
    const before = process.env.SINET_SHARED;
    process.env.SINET_SHARED = path.join(path.sep, 'no', 'such', 'shared');
    try {
      await expect(main(['bench', '--suite', 'augment', '--runs', '1', '--compare-torch', '--torch-network', 'official'], io)).rejects.toThrow(/--torch-network official: no official SINet\.py at \/no\/such\/shared\/reference\/sinet-official\/pytorch\/SINet\.py/);
    } finally {
      if (before === undefined) delete process.env.SINET_SHARED;
      else process.env.SINET_SHARED = before;
    }
  });
});

describe('bench summary', () => {
  it('takes the fastest batch-1 forward pass and the threads it used', async () => {
    const { benchSummary } = await import('./summary.js');
    const row = (backend: string, c: string, medianMs: number) => ({ backend, case: c, runs: 5, medianMs, p10Ms: medianMs, p90Ms: medianMs });
    const inference = [row('wasm', 'forward 1x224x224', 21), row('wasm', 'forward 8x224x224', 130), row('onnx 1t', 'forward 1x224x224', 7.8), row('onnx 2t', 'forward 1x224x224', 5.8), row('onnx 2t', 'forward 8x224x224', 4.2 * 8)];
    expect(benchSummary({ inference })).toMatchObject({ inferenceMs: 5.8, inferenceBackend: 'onnx 2t', inferenceThreads: 2 });
    expect(benchSummary({ inference: inference.slice(0, 2) })).toMatchObject({ inferenceMs: 21, inferenceBackend: 'wasm', inferenceThreads: 1 });
  });
});
