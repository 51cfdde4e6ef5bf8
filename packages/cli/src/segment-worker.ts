/** Worker side of `sinet segment --workers`: its own backend and model, one file per message. */
import { initBackend } from '@sinet/model/node';
import { parentPort, workerData } from 'node:worker_threads';
import { fileSegmenter, type SegmentJob } from './segment.js';

const job = workerData as SegmentJob;

try {
  await initBackend(job.backend, { log: null });
  const segmenter = await fileSegmenter(job.options);
  // Every failure goes back as a message: the handler's promise never rejects.
  const handle = async ({ index, file }: { index: number; file: string }) => {
    try {
      parentPort!.postMessage({ index, line: await segmenter.run(file) });
    } catch (e) {
      parentPort!.postMessage({ index, error: (e as Error).message });
    }
  };
  parentPort!.on('message', (message: { index: number; file: string }) => void handle(message));
  parentPort!.postMessage({ ready: true });
} catch (e) {
  parentPort!.postMessage({ setupError: (e as Error).message });
}
