/**
 * The built-in virtual backgrounds: drawn here from shapes (nothing to license, nothing to
 * download), once, at the camera's 4:3 size.
 */
export const BUILT_IN_BACKGROUNDS = ['studio', 'sunset', 'shelves'] as const;
export type BuiltInBackground = (typeof BUILT_IN_BACKGROUNDS)[number];

export const BUILT_IN_BACKGROUND_LABELS: Record<BuiltInBackground, string> = { studio: 'Studio', sunset: 'Sunset', shelves: 'Bookshelf' };

const WIDTH = 640;
const HEIGHT = 480;

/** A soft grey-blue backdrop, lit from behind the head, as in a photo studio. */
function studio(c: CanvasRenderingContext2D): void {
  const light = c.createRadialGradient(WIDTH * 0.5, HEIGHT * 0.38, 20, WIDTH * 0.5, HEIGHT * 0.45, WIDTH * 0.75);
  light.addColorStop(0, '#9fb4c8');
  light.addColorStop(0.55, '#4d6278');
  light.addColorStop(1, '#1c2530');
  c.fillStyle = light;
  c.fillRect(0, 0, WIDTH, HEIGHT);
}

/** Sky fading from orange to violet over dark hills. */
function sunset(c: CanvasRenderingContext2D): void {
  const sky = c.createLinearGradient(0, 0, 0, HEIGHT);
  sky.addColorStop(0, '#3b2a6b');
  sky.addColorStop(0.55, '#e0795a');
  sky.addColorStop(0.75, '#f6c06b');
  c.fillStyle = sky;
  c.fillRect(0, 0, WIDTH, HEIGHT);
  c.fillStyle = '#ffe2a0';
  c.beginPath();
  c.arc(WIDTH * 0.72, HEIGHT * 0.66, 46, 0, 2 * Math.PI);
  c.fill();
  for (const [colour, base, amplitude, phase] of [['#5a3550', 0.74, 26, 0.3], ['#2e1f36', 0.84, 18, 1.9]] as const) {
    c.fillStyle = colour;
    c.beginPath();
    c.moveTo(0, HEIGHT);
    for (let x = 0; x <= WIDTH; x += 8) c.lineTo(x, HEIGHT * base - amplitude * Math.sin((x / WIDTH) * 5 + phase));
    c.lineTo(WIDTH, HEIGHT);
    c.fill();
  }
}

/** A wall of shelves with books of varied heights and colours (a seeded, fixed pattern). */
function shelves(c: CanvasRenderingContext2D): void {
  c.fillStyle = '#5b4332';
  c.fillRect(0, 0, WIDTH, HEIGHT);
  const colours = ['#8c3b3b', '#2f5d7c', '#c79a3c', '#3e6b48', '#6b4c7a', '#d8d0c0', '#a5582c', '#24384a'];
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const shelf = 120;
  for (let top = 0; top < HEIGHT; top += shelf) {
    c.fillStyle = '#3a2a1f';
    c.fillRect(0, top + shelf - 12, WIDTH, 12);
    for (let x = 6; x < WIDTH - 6; ) {
      const width = 10 + Math.floor(random() * 16);
      const height = shelf - 30 - Math.floor(random() * 30);
      c.fillStyle = colours[Math.floor(random() * colours.length)]!;
      c.fillRect(x, top + shelf - 12 - height, width - 2, height);
      x += width + (random() < 0.1 ? 18 : 0);
    }
  }
}

const PAINTERS: Record<BuiltInBackground, (c: CanvasRenderingContext2D) => void> = { studio, sunset, shelves };

const drawn = new Map<BuiltInBackground, Promise<ImageBitmap>>();

/** The built-in background `name`, drawn once and kept (an ImageBitmap crosses to the processor's worker). */
export function builtInBackground(name: BuiltInBackground): Promise<ImageBitmap> {
  let image = drawn.get(name);
  if (!image) {
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    PAINTERS[name](canvas.getContext('2d')!);
    image = createImageBitmap(canvas);
    drawn.set(name, image);
  }
  return image;
}
