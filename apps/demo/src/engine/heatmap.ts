/** Values in [0, 1] as a perceptual colour map (viridis-like anchors, linearly interpolated). */
const ANCHORS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (ANCHORS.length - 1);
    const k = Math.min(ANCHORS.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[3 * i + c] = ANCHORS[k]![c]! + f * (ANCHORS[k + 1]![c]! - ANCHORS[k]![c]!);
  }
  return lut;
})();

export function heatmapImage(values: Float32Array, width: number, height: number): ImageData {
  const image = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(Math.min(1, Math.max(0, values[i]!)) * 255);
    image.data[4 * i] = LUT[3 * v]!;
    image.data[4 * i + 1] = LUT[3 * v + 1]!;
    image.data[4 * i + 2] = LUT[3 * v + 2]!;
    image.data[4 * i + 3] = 255;
  }
  return image;
}

export function drawHeatmap(canvas: HTMLCanvasElement, values: Float32Array, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(heatmapImage(values, width, height), 0, 0);
}
