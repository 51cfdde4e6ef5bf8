/** Colour-space helpers on 0..255 RGB. */

/** ITU-R 601 luma, as PIL's "L" conversion and OpenCV's gray. */
export const luma = (r: number, g: number, b: number): number => 0.299 * r + 0.587 * g + 0.114 * b;

/** RGB (0..255) to HSV with h in [0, 360), s and v in [0, 1]. */
export function rgbToHsv(r: number, g: number, b: number, out: number[]): void {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h *= 60;
    if (h < 0) h += 360;
  }
  out[0] = h;
  out[1] = max === 0 ? 0 : d / max;
  out[2] = max / 255;
}

export function hsvToRgb(h: number, s: number, v: number, out: number[]): void {
  const c = v * s;
  let hp = (h % 360) / 60;
  if (hp < 0) hp += 6;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const m = (v - c) * 255;
  const C = c * 255 + m;
  const X = x * 255 + m;
  // Scalars only: this runs once per pixel.
  if (hp < 1) setRgb(out, C, X, m);
  else if (hp < 2) setRgb(out, X, C, m);
  else if (hp < 3) setRgb(out, m, C, X);
  else if (hp < 4) setRgb(out, m, X, C);
  else if (hp < 5) setRgb(out, X, m, C);
  else setRgb(out, C, m, X);
}

function setRgb(out: number[], r: number, g: number, b: number): void {
  out[0] = r;
  out[1] = g;
  out[2] = b;
}
