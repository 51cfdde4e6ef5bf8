/** The three heat maps of "what the network sees", for the photo and the live camera. */
import type { InsideView } from '../engine/inside';
import { drawHeatmap } from '../engine/heatmap';

/** Draws the three heat maps; `aspect` (width / height) shows them at the frame's shape rather than the model's. */
export function renderInside(container: HTMLElement, view: InsideView, aspect?: number): void {
  const panels: [keyof InsideView, string][] = [
    ['encoder', 'Encoder output (1/8): person probability'],
    ['gate', 'Information-blocking gate: 1 − confidence'],
    ['final', 'Final person probability'],
  ];
  if (container.childElementCount !== panels.length) {
    container.replaceChildren(
      ...panels.map(([key, caption]) => {
        const figure = document.createElement('figure');
        const canvas = document.createElement('canvas');
        canvas.dataset.map = key;
        canvas.setAttribute('aria-label', caption);
        const figcaption = document.createElement('figcaption');
        figcaption.textContent = caption;
        figure.append(canvas, figcaption);
        return figure;
      }),
    );
  }
  for (const [key] of panels) {
    const map = view[key];
    const canvas = container.querySelector<HTMLCanvasElement>(`canvas[data-map="${key}"]`)!;
    drawHeatmap(canvas, map.values, map.width, map.height);
    if (aspect) canvas.style.aspectRatio = String(aspect);
    canvas.nextElementSibling!.setAttribute('data-size', `${map.width}x${map.height}`);
  }
}
