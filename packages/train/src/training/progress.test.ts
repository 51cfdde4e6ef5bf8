import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, ProgressReporter, ThroughputMeter, type ProgressState } from './progress.js';

const state: ProgressState = { stage: 2, stages: 2, kind: 'full', epoch: 3, epochs: 14, step: 19, steps: 76, loss: 0.48123, imagesPerSecond: 3.4, epochEta: 268.4, runEta: 3725 };

describe('progress', () => {
  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(Number.NaN)).toBe('--:--');
  });

  it('shows step, epoch, loss, img/s and both ETAs; the bar is a quarter full at 19/76', () => {
    expect(formatProgress(state, 8)).toBe('stage 2/2 (full) epoch 3/14 [##......] 19/76 loss 0.4812 3.40 img/s ETA 4:28 (run 1:02:05)');
    expect(formatProgress(state, 0)).not.toContain('[');
  });

  it('estimates from smoothed seconds per image: a slow first step weighs less as steps arrive', () => {
    const meter = new ThroughputMeter(0.5);
    expect(meter.eta(10)).toBeNaN();
    meter.add(8, 8); // 1 s/image (warm-up)
    meter.add(8, 2); // 0.25 s/image: weight max(0.5, 1/2) = 0.5 -> 0.625
    expect(meter.eta(16)).toBeCloseTo(10, 12);
    meter.add(8, 2); // weight max(0.5, 1/3) = 0.5 -> 0.4375
    expect(meter.imagesPerSecond).toBeCloseTo(1 / 0.4375, 12);
  });

  it('redraws one line on a terminal and clears it before a log line; elsewhere prints at most one line per interval', () => {
    let now = 0;
    const tty: string[] = [];
    const bar = new ProgressReporter({ isTTY: true, columns: 200, write: (t) => tty.push(t) }, { now: () => now });
    bar.update(state);
    now = 0.05;
    bar.update({ ...state, step: 20 }); // throttled
    now = 0.5;
    bar.update({ ...state, step: 21 });
    bar.log('epoch done');
    expect(tty).toHaveLength(4);
    // eslint-disable-next-line no-control-regex -- the terminal's escape codes are what is tested
    expect(tty[0]).toMatch(/^\r\x1b\[2Kstage 2\/2 .* 19\/76 /);
    expect(tty[1]).toContain(' 21/76 ');
    expect(tty.slice(2)).toEqual(['\r\x1b[2K', 'epoch done\n']);

    const lines: string[] = [];
    const plain = new ProgressReporter({ isTTY: false, write: (t) => lines.push(t) }, { now: () => now, lineEverySeconds: 30 });
    now = 0;
    plain.update(state);
    now = 29;
    plain.update(state);
    now = 31;
    plain.update(state);
    expect(lines).toEqual([`${formatProgress(state, 0)}\n`, `${formatProgress(state, 0)}\n`]);
    const fallback: string[] = [];
    new ProgressReporter(null).log('x', (l) => fallback.push(l));
    expect(fallback).toEqual(['x']);
  });
});
