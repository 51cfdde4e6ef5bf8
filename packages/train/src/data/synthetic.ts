/**
 * Deterministic synthetic portraits with exact masks: head, hair, neck and shoulders over a
 * cluttered background, with varied skin, hair and clothing colours and textures, lighting, blur
 * and noise. For a first training run and for tests, with nothing to download. The mask is exact
 * at pixel centres: every pixel drawn from a person shape is person, and nothing else is.
 */
import { Rng, type ImageU8, type LabelMap } from '@sinet/augment';
import { gaussianBlur } from '@sinet/augment/ops';
import { TrainError } from '../errors.js';

export interface SyntheticPortraitOptions {
  width?: number;
  height?: number;
}

type Rgb = [number, number, number];

const SKIN: Rgb[] = [[255, 224, 196], [241, 194, 160], [224, 172, 130], [198, 134, 92], [161, 102, 68], [120, 75, 50], [86, 54, 38]];
const HAIR: Rgb[] = [[20, 16, 14], [58, 38, 26], [96, 62, 36], [150, 110, 60], [210, 175, 110], [170, 70, 40], [160, 160, 160], [235, 230, 220]];

const jitter = (rng: Rng, c: Rgb, amount: number): Rgb => c.map((v) => Math.min(255, Math.max(0, v + rng.uniform(-amount, amount)))) as Rgb;
const randomColour = (rng: Rng): Rgb => [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];

/** Inside a rotated ellipse centred at (cx, cy). */
function inEllipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number, cos: number, sin: number): boolean {
  const dx = x - cx;
  const dy = y - cy;
  const u = (dx * cos + dy * sin) / rx;
  const v = (-dx * sin + dy * cos) / ry;
  return u * u + v * v <= 1;
}

/** Smooth value noise in [0, 1] from a coarse random grid, bilinearly interpolated. */
function valueNoise(rng: Rng, width: number, height: number, cells: number): (x: number, y: number) => number {
  const gw = cells + 2;
  const grid = Float32Array.from({ length: gw * gw }, () => rng.random());
  return (x, y) => {
    const gx = (x / width) * cells;
    const gy = (y / height) * cells;
    const x0 = Math.floor(gx);
    const y0 = Math.floor(gy);
    const fx = gx - x0;
    const fy = gy - y0;
    const g = (i: number, j: number) => grid[j * gw + i]!;
    return (g(x0, y0) * (1 - fx) + g(x0 + 1, y0) * fx) * (1 - fy) + (g(x0, y0 + 1) * (1 - fx) + g(x0 + 1, y0 + 1) * fx) * fy;
  };
}

export function syntheticPortrait(seed: number, options: SyntheticPortraitOptions = {}): { image: ImageU8; mask: LabelMap } {
  const width = options.width ?? 224;
  const height = options.height ?? 224;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16) throw new TrainError(`syntheticPortrait: size must be at least 16 x 16, got ${width} x ${height}`, 'CONFIG');
  const rng = new Rng(seed);
  const s = Math.min(width, height);

  // Background: two-colour gradient, low-frequency texture and clutter (some of it skin- or hair-coloured).
  const bgA = randomColour(rng);
  const bgB = randomColour(rng);
  const angle = rng.uniform(0, Math.PI);
  const bgNoise = valueNoise(rng, width, height, rng.integer(2, 8));
  const clutter = Array.from({ length: rng.integer(2, 9) }, () => {
    const colour = rng.random() < 0.3 ? jitter(rng, rng.choice(rng.random() < 0.5 ? SKIN : HAIR), 20) : randomColour(rng);
    return { kind: rng.choice(['rect', 'disc', 'stripe'] as const), x: rng.uniform(0, width), y: rng.uniform(0, height), a: rng.uniform(0.05, 0.35) * s, b: rng.uniform(0.05, 0.35) * s, colour, alpha: rng.uniform(0.4, 1) };
  });

  // Person geometry, in pixels.
  const headRx = rng.uniform(0.13, 0.2) * s;
  const headRy = headRx * rng.uniform(1.2, 1.45);
  const cx = width * rng.uniform(0.38, 0.62);
  const cy = height * rng.uniform(0.28, 0.45);
  const tilt = rng.uniform(-0.25, 0.25);
  const cos = Math.cos(tilt);
  const sin = Math.sin(tilt);
  const neckHalf = headRx * rng.uniform(0.4, 0.6);
  const neckTop = cy + headRy * 0.6;
  const shoulderTop = cy + headRy * rng.uniform(1.05, 1.4);
  const shoulderHalf = Math.min(width * 0.5, headRx * rng.uniform(2.2, 3.4));
  const shoulderDrop = headRy * rng.uniform(0.3, 0.7);
  const hairStyle = rng.choice(['short', 'long', 'none', 'bun'] as const);
  const hairRx = headRx * rng.uniform(1.05, 1.2);
  const hairRy = headRy * rng.uniform(1.0, 1.12);
  const hairCy = cy - headRy * rng.uniform(0.08, 0.2);
  const longBottom = shoulderTop + headRy * rng.uniform(0.2, 1.0);
  const bunR = headRx * 0.45;

  const skin = jitter(rng, rng.choice(SKIN), 12);
  const hair = jitter(rng, rng.choice(HAIR), 15);
  const cloth = randomColour(rng);
  const cloth2 = randomColour(rng);
  const pattern = rng.choice(['plain', 'stripes', 'checks', 'noise'] as const);
  const period = rng.uniform(4, 14);
  const clothNoise = valueNoise(rng, width, height, 12);

  const light = { gx: rng.uniform(-0.5, 0.5), gy: rng.uniform(-0.5, 0.5), gain: rng.uniform(0.7, 1.2) };
  const eyeY = cy - headRy * 0.1;
  const eyeDx = headRx * 0.38;

  const image = new Uint8Array(width * height * 3);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const head = inEllipse(px, py, cx, cy, headRx, headRy, cos, sin);
      const neck = py >= neckTop && py <= shoulderTop + shoulderDrop && Math.abs(px - cx) <= neckHalf;
      // Shoulders: a rounded slope from the neck out to shoulderHalf, then straight down.
      const dxs = Math.abs(px - cx);
      const slope = shoulderTop + shoulderDrop * Math.min(1, (dxs / shoulderHalf) ** 2);
      const shoulders = dxs <= shoulderHalf && py >= slope;
      const hairCap = hairStyle !== 'none' && inEllipse(px, py, cx, hairCy, hairRx, hairRy, cos, sin) && py <= cy + headRy * 0.15;
      const hairLong = hairStyle === 'long' && py >= hairCy && py <= longBottom && dxs <= hairRx * 1.05 && dxs >= headRx * 0.75;
      const bun = hairStyle === 'bun' && (px - cx) ** 2 + (py - (hairCy - hairRy * 0.95)) ** 2 <= bunR * bunR;
      const person = head || neck || shoulders || hairCap || hairLong || bun;
      let c: Rgb;
      if (person) {
        if (head && !(hairCap && py < cy - headRy * 0.35)) {
          // Face, with eyes and a mouth.
          const eye = (px - (cx - eyeDx)) ** 2 + ((py - eyeY) / 0.6) ** 2 < (headRx * 0.1) ** 2 || (px - (cx + eyeDx)) ** 2 + ((py - eyeY) / 0.6) ** 2 < (headRx * 0.1) ** 2;
          const mouth = Math.abs(px - cx) < headRx * 0.3 && Math.abs(py - (cy + headRy * 0.45)) < headRy * 0.05;
          c = eye ? [40, 30, 30] : mouth ? [170, 70, 70] : skin;
        } else if (hairCap || hairLong || bun) {
          const strand = 0.85 + 0.3 * clothNoise(px * 3, py * 0.5);
          c = [hair[0] * strand, hair[1] * strand, hair[2] * strand];
        } else if (neck && !shoulders) {
          c = [skin[0] * 0.9, skin[1] * 0.9, skin[2] * 0.9];
        } else {
          const t =
            pattern === 'stripes' ? Math.floor(py / period) % 2 : pattern === 'checks' ? (Math.floor(px / period) + Math.floor(py / period)) % 2 : pattern === 'noise' ? clothNoise(px, py) : 0;
          c = [cloth[0] * (1 - t) + cloth2[0] * t, cloth[1] * (1 - t) + cloth2[1] * t, cloth[2] * (1 - t) + cloth2[2] * t];
        }
      } else {
        const t = ((px / width) * Math.cos(angle) + (py / height) * Math.sin(angle) + 1) / 2;
        const n = 0.75 + 0.5 * bgNoise(px, py);
        c = [(bgA[0] * (1 - t) + bgB[0] * t) * n, (bgA[1] * (1 - t) + bgB[1] * t) * n, (bgA[2] * (1 - t) + bgB[2] * t) * n];
        for (const k of clutter) {
          const inside =
            k.kind === 'disc' ? (px - k.x) ** 2 + (py - k.y) ** 2 <= k.a * k.a : k.kind === 'rect' ? Math.abs(px - k.x) <= k.a / 2 && Math.abs(py - k.y) <= k.b / 2 : Math.abs(px - k.x) <= k.a * 0.15;
          if (inside) c = [c[0] * (1 - k.alpha) + k.colour[0] * k.alpha, c[1] * (1 - k.alpha) + k.colour[1] * k.alpha, c[2] * (1 - k.alpha) + k.colour[2] * k.alpha];
        }
      }
      const lit = light.gain * (1 + light.gx * (px / width - 0.5) + light.gy * (py / height - 0.5));
      const at = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) image[at + k] = Math.min(255, Math.max(0, c[k]! * lit + rng.normal(0, 3)));
      mask[y * width + x] = person ? 1 : 0;
    }
  let out: ImageU8 = { data: image, width, height, channels: 3 };
  // Camera blur on the image only; the mask stays exact at pixel centres.
  if (rng.random() < 0.5) out = gaussianBlur(out, rng.uniform(0.3, 1.2));
  return { image: out, mask: { data: mask, width, height } };
}
