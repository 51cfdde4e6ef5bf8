import { describe, expect, it } from 'vitest';
import { FpsMeter } from '../src/engine/fps-meter';

describe('FpsMeter', () => {
  it('counts frames over the last second: 10 frames 100 ms apart are 10 FPS', () => {
    const meter = new FpsMeter();
    for (let t = 0; t <= 2000; t += 100) meter.tick(t);
    expect(meter.fps).toBeCloseTo(10, 6);
  });

  it('stays honest below 1 FPS: frames 2 s apart are 0.5 FPS, not 0', () => {
    const meter = new FpsMeter();
    for (const t of [0, 2000, 4000, 6000]) meter.tick(t);
    expect(meter.fps).toBeCloseTo(0.5, 6);
    expect(new FpsMeter().fps).toBe(0);
  });
});
