import { describe, expect, it } from 'vitest';
import { syntheticPortrait } from './synthetic.js';

describe('synthetic portraits', () => {
  it('are deterministic per seed and differ between seeds', () => {
    const a = syntheticPortrait(1, { width: 96, height: 128 });
    const b = syntheticPortrait(1, { width: 96, height: 128 });
    const c = syntheticPortrait(2, { width: 96, height: 128 });
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.mask.data)).toEqual(Array.from(b.mask.data));
    expect(Array.from(a.mask.data)).not.toEqual(Array.from(c.mask.data));
    expect([a.image.width, a.image.height, a.image.channels, a.mask.width, a.mask.height]).toEqual([96, 128, 3, 96, 128]);
  });

  it('hold one connected head-and-shoulders figure touching the bottom edge, covering a plausible share', () => {
    for (let seed = 0; seed < 30; seed++) {
      const { mask } = syntheticPortrait(seed, { width: 64, height: 64 });
      const share = mask.data.reduce((n, v) => n + v, 0) / mask.data.length;
      expect(share, `seed ${seed}`).toBeGreaterThan(0.08);
      expect(share, `seed ${seed}`).toBeLessThan(0.8);
      expect(mask.data.slice(63 * 64).some((v) => v === 1), `seed ${seed}: shoulders reach the bottom`).toBe(true);
      expect(mask.data.slice(0, 64).every((v) => v === 0) || share > 0.3, `seed ${seed}: head fits`).toBe(true);
      // One component (4-connected flood fill from any person pixel reaches all of them).
      const start = mask.data.indexOf(1);
      const seen = new Uint8Array(mask.data.length);
      const stack = [start];
      seen[start] = 1;
      let count = 0;
      while (stack.length) {
        const i = stack.pop()!;
        count++;
        for (const j of [i - 1, i + 1, i - 64, i + 64]) {
          if (j < 0 || j >= mask.data.length || seen[j] || !mask.data[j] || (Math.abs((j % 64) - (i % 64)) > 1)) continue;
          seen[j] = 1;
          stack.push(j);
        }
      }
      expect(count, `seed ${seed}`).toBe(mask.data.reduce((n, v) => n + v, 0));
    }
  });

  it('the image tells person from background: colours differ across the mask edge on average', () => {
    let differing = 0;
    for (let seed = 0; seed < 20; seed++) {
      const { image, mask } = syntheticPortrait(seed, { width: 64, height: 64 });
      const mean = (v: number) => {
        let sum = [0, 0, 0];
        let n = 0;
        mask.data.forEach((m, i) => {
          if (m === v) {
            sum = sum.map((s, k) => s + image.data[3 * i + k]!);
            n++;
          }
        });
        return sum.map((s) => s / n);
      };
      const [p, b] = [mean(1), mean(0)];
      if (Math.hypot(p[0]! - b[0]!, p[1]! - b[1]!, p[2]! - b[2]!) > 10) differing++;
    }
    expect(differing).toBeGreaterThanOrEqual(17);
  });

  it('rejects tiny sizes', () => {
    expect(() => syntheticPortrait(1, { width: 8, height: 64 })).toThrow(/at least 16 x 16/);
  });
});
