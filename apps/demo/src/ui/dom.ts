/** Small DOM helpers: typed lookups, messages, file decoding with clear errors. */
import { DemoError } from '../errors';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new DemoError(`page is missing #${id}`, 'PAGE');
  return el as T;
}

export function setStatus(text: string): void {
  byId('status').textContent = text;
}

export function showError(text: string | null): void {
  const el = byId('error');
  el.hidden = !text;
  el.textContent = text ?? '';
}

/** Decodes an image file; a corrupt or non-image file gets an error naming it. */
export async function decodeImageFile(file: File): Promise<ImageBitmap> {
  if (file.type && !file.type.startsWith('image/')) throw new DemoError(`${file.name}: not an image (${file.type})`, 'IMAGE_FILE');
  try {
    return await createImageBitmap(file);
  } catch {
    throw new DemoError(`${file.name}: could not be decoded (corrupt or unsupported image)`, 'IMAGE_FILE');
  }
}

export function canvasOf(source: CanvasImageSource & { width: number; height: number }, target?: HTMLCanvasElement): HTMLCanvasElement {
  const canvas = target ?? document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height;
  canvas.getContext('2d')!.drawImage(source, 0, 0);
  return canvas;
}

export function pixelsOf(canvas: HTMLCanvasElement): ImageData {
  return canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, canvas.width, canvas.height);
}

/** Accessible tabs: arrow keys move between them, Enter/click selects. */
export function setUpTabs(onChange: (panelId: string) => void): void {
  const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role="tab"]'));
  const select = (tab: HTMLButtonElement) => {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute('aria-selected', String(selected));
      t.tabIndex = selected ? 0 : -1;
      byId(t.getAttribute('aria-controls')!).hidden = !selected;
    }
    tab.focus();
    onChange(tab.getAttribute('aria-controls')!);
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (step) select(tabs[(i + step + tabs.length) % tabs.length]!);
    });
  });
}

/** Calls `handler` with picked or dropped files (at least one); an async handler reports its own errors (showError). */
export function onFiles(input: HTMLInputElement, handler: (files: [File, ...File[]]) => void | Promise<void>, dropZone?: HTMLElement): void {
  const some = (files: File[]): files is [File, ...File[]] => files.length > 0;
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    if (some(files)) void handler(files);
    input.value = '';
  });
  if (!dropZone) return;
  dropZone.addEventListener('dragover', (e) => {
    e.preventDefault();
    dropZone.classList.add('dragging');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    dropZone.classList.remove('dragging');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (some(files)) void handler(files);
  });
}

/**
 * Disables `off` and enables `on`; where `off` had the keyboard focus, it moves to `on`
 * instead of dropping to the page body (Start -> Stop, Stop -> Start).
 */
export function swapFocus(off: HTMLButtonElement, on: HTMLButtonElement): void {
  const hadFocus = document.activeElement === off;
  on.disabled = false;
  off.disabled = true;
  if (hadFocus) on.focus();
}
