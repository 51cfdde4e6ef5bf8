/**
 * The compositor on WebGL2: five full-frame passes, all on the GPU (a software one, SwiftShader,
 * included): the mask upsampled edge-aware to the frame, the background taken apart from the
 * person at a quarter of the size, blurred in two passes, and the output with light wrap.
 */
import { TrackProcessorError } from '../errors.js';
import type { BackgroundEffect } from '../effects.js';
import { blurSigma, coverRect, DEFAULT_EDGE, DEFAULT_LIGHT_WRAP, type CameraFrame, type Compositor, type OutputCanvas } from './compositor.js';
import { BACKGROUND_DOWN, BLUR, COMPOSITE, MODES, UPSAMPLE, VERTEX } from './shaders.js';

/** The background is blurred at 1 / this of the frame's size. */
const DOWNSCALE = 4;
/** Light wrap's reach in pixels at 640 wide, for effects without a blur of their own. */
const WRAP_STRENGTH = 6;
/** Colour distance (RGB on 0..1) at which the upsampling's weight falls to 0.6. */
const RANGE_SIGMA = 0.12;

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

interface Program {
  program: WebGLProgram;
  uniforms: Map<string, WebGLUniformLocation | null>;
}

interface Target {
  texture: WebGLTexture;
  framebuffer: WebGLFramebuffer;
  width: number;
  height: number;
}

export class WebGL2Compositor implements Compositor {
  readonly kind = 'webgl2';
  /** A CPU renderer (SwiftShader, llvmpipe): five full-frame passes there cost more than the 2D canvas. */
  readonly software: boolean;
  private readonly gl: WebGL2RenderingContext;
  private programs!: Record<'upsample' | 'down' | 'blur' | 'composite', Program>;
  private frameTexture!: WebGLTexture;
  private maskTexture!: WebGLTexture;
  private imageTexture!: WebGLTexture;
  /** The last mask given, to upload again when a lost context comes back. */
  private mask: { alpha: Uint8Array | null; width: number; height: number } = { alpha: null, width: 1, height: 1 };
  private contextLost = false;
  private maskSize: [number, number] = [1, 1];
  private alpha: Target | null = null;
  private small: [Target, Target] | null = null;
  private imageSource: unknown = null;
  private imageSize: [number, number] = [1, 1];

  /** Throws TrackProcessorError 'UNSUPPORTED' where the canvas gives no WebGL2 (the caller falls back to 2D). */
  constructor(readonly canvas: OutputCanvas) {
    const gl = canvas.getContext('webgl2', { premultipliedAlpha: true, alpha: true, antialias: false, depth: false, stencil: false, preserveDrawingBuffer: false }) as WebGL2RenderingContext | null;
    if (!gl) throw new TrackProcessorError('this browser gives no WebGL2 context', 'UNSUPPORTED');
    this.gl = gl;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    this.software = typeof name === 'string' && SOFTWARE_RENDERER.test(name);
    // A lost context (GPU reset, driver update, too many contexts) comes back if the loss is
    // prevented; until then frames pass through (see ready), then every resource is made again.
    canvas.addEventListener('webglcontextlost', (event) => {
      event.preventDefault();
      this.contextLost = true;
    });
    canvas.addEventListener('webglcontextrestored', () => {
      this.setUp();
      this.contextLost = false;
    });
    this.setUp();
  }

  /** False while the WebGL context is lost: nothing can be drawn. */
  get ready(): boolean {
    return !this.contextLost && !this.gl.isContextLost();
  }

  /** Programs, the full-screen triangle, textures and the current mask: at start and after a restored context. */
  private setUp(): void {
    const gl = this.gl;
    this.alpha = null;
    this.small = null;
    this.imageSource = null;
    this.programs = {
      upsample: this.link(UPSAMPLE),
      down: this.link(BACKGROUND_DOWN),
      blur: this.link(BLUR),
      composite: this.link(COMPOSITE),
    };
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    // One triangle covering the viewport.
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    this.frameTexture = this.texture();
    this.maskTexture = this.texture();
    this.imageTexture = this.texture();
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.setMask(this.mask.alpha, this.mask.width, this.mask.height);
  }

  setMask(alpha: Uint8Array | null, width: number, height: number): void {
    this.mask = { alpha, width, height };
    const gl = this.gl;
    if (gl.isContextLost()) return;
    gl.bindTexture(gl.TEXTURE_2D, this.maskTexture);
    if (alpha) gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, width, height, 0, gl.RED, gl.UNSIGNED_BYTE, alpha);
    else gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, 1, 1, 0, gl.RED, gl.UNSIGNED_BYTE, new Uint8Array(1));
    this.maskSize = alpha ? [width, height] : [1, 1];
  }

  render(frame: CameraFrame, width: number, height: number, effect: BackgroundEffect): void {
    if (!this.ready) return;
    const gl = this.gl;
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.frameTexture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, frame as TexImageSource);
    if (effect.kind === 'none') {
      this.draw(this.programs.composite, null, width, height, { frame: 0, mode: MODES.none }, true);
      return;
    }
    const alpha = this.target('alpha', width, height);
    this.bind(1, this.maskTexture);
    this.draw(this.programs.upsample, alpha, alpha.width, alpha.height, { frame: 0, mask: 1, maskSize: this.maskSize, rangeSigma: RANGE_SIGMA, edge: DEFAULT_EDGE });
    if (effect.kind === 'transparent') {
      this.bind(1, alpha.texture);
      this.draw(this.programs.composite, null, width, height, { frame: 0, alpha: 1, mode: MODES.transparent }, true);
      return;
    }
    const [a, b] = this.smallTargets(width, height);
    const sigma = blurSigma(effect.kind === 'blur' ? effect.strength : WRAP_STRENGTH, width) / DOWNSCALE;
    this.bind(1, alpha.texture);
    this.draw(this.programs.down, a, a.width, a.height, { frame: 0, alpha: 1, frameTexel: [1 / width, 1 / height] });
    this.bind(2, a.texture);
    this.draw(this.programs.blur, b, b.width, b.height, { source: 2, direction: [1 / a.width, 0], sigma });
    this.bind(2, b.texture);
    this.draw(this.programs.blur, a, a.width, a.height, { source: 2, direction: [0, 1 / a.height], sigma });
    this.bind(2, a.texture);
    let imageRect = [0, 0, 1, 1];
    if (effect.kind === 'image') {
      this.uploadImage(effect.image);
      const [x, y, w, h] = coverRect(this.imageSize[0], this.imageSize[1], width, height);
      imageRect = [x / this.imageSize[0], y / this.imageSize[1], w / this.imageSize[0], h / this.imageSize[1]];
    }
    this.bind(3, this.imageTexture);
    const fill = effect.kind === 'colour' ? effect.rgb.map((c) => c / 255) : [0, 0, 0];
    this.draw(this.programs.composite, null, width, height, { frame: 0, alpha: 1, blurred: 2, image: 3, mode: MODES[effect.kind], fill, imageRect, wrap: DEFAULT_LIGHT_WRAP }, true);
  }

  dispose(): void {
    const gl = this.gl;
    if (gl.isContextLost()) return;
    for (const t of [this.alpha, ...(this.small ?? [])]) {
      if (!t) continue;
      gl.deleteTexture(t.texture);
      gl.deleteFramebuffer(t.framebuffer);
    }
    for (const t of [this.frameTexture, this.maskTexture, this.imageTexture]) gl.deleteTexture(t);
    for (const p of Object.values(this.programs)) gl.deleteProgram(p.program);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }

  private uploadImage(image: unknown): void {
    if (image === this.imageSource) return;
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, this.imageTexture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, image as TexImageSource);
    const { width, height } = image as { width: number; height: number };
    this.imageSize = [width, height];
    this.imageSource = image;
  }

  private bind(unit: number, texture: WebGLTexture): void {
    this.gl.activeTexture(this.gl.TEXTURE0 + unit);
    this.gl.bindTexture(this.gl.TEXTURE_2D, texture);
  }

  private draw(program: Program, target: Target | null, width: number, height: number, uniforms: Record<string, number | number[]>, toCanvas = false): void {
    const gl = this.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, target?.framebuffer ?? null);
    gl.viewport(0, 0, width, height);
    gl.useProgram(program.program);
    gl.uniform1f(this.uniform(program, 'flipY'), toCanvas ? 1 : 0);
    for (const [name, value] of Object.entries(uniforms)) {
      const at = this.uniform(program, name);
      if (at === null) continue;
      if (typeof value === 'number') {
        if (['frame', 'mask', 'alpha', 'blurred', 'image', 'source', 'mode'].includes(name)) gl.uniform1i(at, value);
        else gl.uniform1f(at, value);
      } else if (value.length === 2) gl.uniform2fv(at, value);
      else if (value.length === 3) gl.uniform3fv(at, value);
      else gl.uniform4fv(at, value);
    }
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  private uniform(program: Program, name: string): WebGLUniformLocation | null {
    if (!program.uniforms.has(name)) program.uniforms.set(name, this.gl.getUniformLocation(program.program, name));
    return program.uniforms.get(name)!;
  }

  private texture(): WebGLTexture {
    const gl = this.gl;
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    // Clamped: a blur near the border repeats the edge pixels, never shows what lies under the canvas.
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    return texture;
  }

  private target(which: 'alpha', width: number, height: number): Target {
    if (this.alpha && this.alpha.width === width && this.alpha.height === height) return this.alpha;
    if (this.alpha) this.deleteTarget(this.alpha);
    this.alpha = this.makeTarget(width, height, this.gl.R8, this.gl.RED);
    return this.alpha;
  }

  private smallTargets(width: number, height: number): [Target, Target] {
    const w = Math.max(1, Math.ceil(width / DOWNSCALE));
    const h = Math.max(1, Math.ceil(height / DOWNSCALE));
    if (this.small && this.small[0].width === w && this.small[0].height === h) return this.small;
    for (const t of this.small ?? []) this.deleteTarget(t);
    this.small = [this.makeTarget(w, h, this.gl.RGBA8, this.gl.RGBA), this.makeTarget(w, h, this.gl.RGBA8, this.gl.RGBA)];
    return this.small;
  }

  private makeTarget(width: number, height: number, internal: number, format: number): Target {
    const gl = this.gl;
    const texture = this.texture();
    gl.texImage2D(gl.TEXTURE_2D, 0, internal, width, height, 0, format, gl.UNSIGNED_BYTE, null);
    const framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) throw new TrackProcessorError('WebGL2 cannot render to an 8-bit texture here', 'UNSUPPORTED');
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return { texture, framebuffer, width, height };
  }

  private deleteTarget(t: Target): void {
    this.gl.deleteTexture(t.texture);
    this.gl.deleteFramebuffer(t.framebuffer);
  }

  private link(fragment: string): Program {
    const gl = this.gl;
    const compile = (type: number, source: string) => {
      const shader = gl.createShader(type)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS) && !gl.isContextLost()) throw new TrackProcessorError(`a WebGL2 shader did not compile: ${gl.getShaderInfoLog(shader)}`, 'UNSUPPORTED');
      return shader;
    };
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragment));
    gl.bindAttribLocation(program, 0, 'position');
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS) && !gl.isContextLost()) throw new TrackProcessorError(`a WebGL2 program did not link: ${gl.getProgramInfoLog(program)}`, 'UNSUPPORTED');
    return { program, uniforms: new Map() };
  }
}
