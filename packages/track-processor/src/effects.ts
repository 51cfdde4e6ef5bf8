/**
 * What replaces the background. Plain objects, so an effect can be switched on a running
 * processor (`setEffect`) and compared or logged; build them with the factories below.
 */
import { parseColour, type Colour } from '@sinet/model';
import { TrackProcessorError } from './errors.js';

/** Blur radius in pixels of a 640 x 480 frame (scaled with the frame), as LiveKit's BackgroundBlur(10). */
export const DEFAULT_BLUR_STRENGTH = 10;
/** Blur strengths above this look the same (the background is a wash of colour) and cost more. */
export const MAX_BLUR_STRENGTH = 40;

/** An image the browser can draw: decoded once, drawn to cover the frame. */
export type BackgroundImage = ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | ImageData;

export type BackgroundEffect =
  | { kind: 'blur'; strength: number }
  | { kind: 'image'; image: BackgroundImage }
  | { kind: 'colour'; rgb: [number, number, number] }
  | { kind: 'transparent' }
  | { kind: 'none' };

export type EffectKind = BackgroundEffect['kind'];

/** The background blurred by `strength` pixels (at 640 x 480); the person stays sharp. */
export function BackgroundBlur(strength: number = DEFAULT_BLUR_STRENGTH): BackgroundEffect {
  if (!(typeof strength === 'number' && strength > 0 && strength <= MAX_BLUR_STRENGTH)) throw new TrackProcessorError(`BackgroundBlur: strength must be in (0, ${MAX_BLUR_STRENGTH}] pixels, got ${String(strength).slice(0, 40)}`, 'INPUT');
  return { kind: 'blur', strength };
}

/** The background replaced by `image`, scaled to cover the frame (centred, cropped, never stretched). */
export function VirtualBackground(image: BackgroundImage): BackgroundEffect {
  const size = image as { width?: unknown; height?: unknown };
  if (!image || typeof size.width !== 'number' || typeof size.height !== 'number' || size.width < 1 || size.height < 1) throw new TrackProcessorError('VirtualBackground: expected a decoded image (ImageBitmap, <img> after load, canvas or ImageData) of at least 1 x 1 pixels', 'INPUT');
  return { kind: 'image', image };
}

/** The background replaced by one colour: '#00b140', 'rgb(0, 177, 64)' or [0, 177, 64]. */
export function BackgroundColour(colour: Colour): BackgroundEffect {
  try {
    return { kind: 'colour', rgb: parseColour(colour) };
  } catch (e) {
    throw new TrackProcessorError(`BackgroundColour: ${(e as Error).message}`, 'INPUT');
  }
}

/** The background made transparent (alpha 0): for compositing the person over a page or another video. */
export function TransparentBackground(): BackgroundEffect {
  return { kind: 'transparent' };
}

/** The camera as it is: the processor passes frames through (and runs no inference). */
export function NoEffect(): BackgroundEffect {
  return { kind: 'none' };
}

const KINDS: EffectKind[] = ['blur', 'image', 'colour', 'transparent', 'none'];

/** Checks an effect built by hand (or read from settings) as the factories would. */
export function checkEffect(effect: unknown): BackgroundEffect {
  const e = effect as BackgroundEffect | undefined;
  if (!e || typeof e !== 'object' || !KINDS.includes(e.kind)) throw new TrackProcessorError(`effect: expected one of kind ${KINDS.map((k) => `'${k}'`).join(', ')} (use BackgroundBlur(), VirtualBackground(), BackgroundColour(), ...), got ${JSON.stringify(effect)?.slice(0, 60)}`, 'INPUT');
  if (e.kind === 'blur') return BackgroundBlur(e.strength);
  if (e.kind === 'image') return VirtualBackground(e.image);
  if (e.kind === 'colour') return BackgroundColour(e.rgb);
  return e;
}
