/**
 * In-page accessibility checks for the demo tests (run with page.evaluate, so no imports):
 * accessible names of controls and WCAG 2 contrast of visible text.
 */

export interface UnnamedControl {
  id: string;
  tag: string;
}

export interface LowContrast {
  text: string;
  ratio: number;
  required: number;
  colour: string;
  background: string;
}

/** Form controls, buttons, tabs and link-buttons that have no accessible name. */
export function controlsWithoutName(): UnnamedControl[] {
  const textOf = (el: Element | null): string => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  const nameOf = (el: HTMLElement): string => {
    const label = el.getAttribute('aria-label');
    if (label?.trim()) return label.trim();
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\s+/).map((id) => textOf(document.getElementById(id))).join(' ').trim();
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length) return Array.from(labels).map(textOf).join(' ').trim();
    if (el.tagName === 'BUTTON' || el.tagName === 'A' || el.getAttribute('role') === 'tab') return textOf(el);
    return el.getAttribute('title')?.trim() ?? '';
  };
  const controls = Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href], a.button, [role="tab"], canvas, video'));
  return controls.filter((el) => nameOf(el) === '').map((el) => ({ id: el.id || el.outerHTML.slice(0, 60), tag: el.tagName.toLowerCase() }));
}

/** Visible text whose contrast with what is behind it is under WCAG AA (4.5:1, 3:1 for large text). */
export function textBelowContrast(): LowContrast[] {
  const parse = (c: string): [number, number, number, number] => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const [r, g, b, a = '1'] = m[1]!.split(/[\s,/]+/).filter(Boolean);
    return [Number(r), Number(g), Number(b), Number(a)];
  };
  const luminance = ([r, g, b]: readonly [number, number, number, ...number[]]): number => {
    const lin = (v: number) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  // The first opaque background behind an element (translucent ones blended over it).
  const backgroundOf = (el: Element | null): [number, number, number] => {
    const layers: [number, number, number, number][] = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let base: [number, number, number] = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) base = [r * a + base[0] * (1 - a), g * a + base[1] * (1 - a), b * a + base[2] * (1 - a)];
    return base;
  };
  const found: LowContrast[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.textContent ?? '').trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('[hidden], script, style, option') || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const fg = parse(style.color);
    const bg = backgroundOf(el);
    const blended = [0, 1, 2].map((i) => fg[i]! * fg[3] + bg[i]! * (1 - fg[3])) as [number, number, number];
    const [hi, lo] = [luminance(blended), luminance(bg)].sort((a, b) => b - a) as [number, number];
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const required = large ? 3 : 4.5;
    if (ratio < required) found.push({ text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, required, colour: style.color, background: `rgb(${bg.map(Math.round).join(', ')})` });
  }
  return found;
}
