import type { TrainConfig } from './config.js';

/**
 * Learning rate at a point of a stage: `progress` runs from 0 (first step) to 1 (end of the
 * stage's last epoch); `epoch` is the current epoch within the stage.
 */
export function learningRate(base: number, optimizer: TrainConfig['optimizer'], epochs: number, epoch: number, progress: number): number {
  const warm = optimizer.warmupEpochs;
  if (warm > 0 && epoch < warm && optimizer.schedule !== 'multistep') return base * Math.min(1, (progress * epochs) / warm + 1 / (warm * 1000));
  const after = warm > 0 ? Math.max(0, (progress * epochs - warm) / Math.max(1e-9, epochs - warm)) : progress;
  switch (optimizer.schedule) {
    case 'poly':
      return base * Math.max(0, 1 - after) ** optimizer.power;
    case 'cosine':
      return base * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, after)));
    case 'multistep':
      return base * optimizer.gamma ** optimizer.milestones.filter((m) => epoch >= m).length;
  }
}
