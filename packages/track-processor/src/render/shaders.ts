/** GLSL ES 3.00 programs of the WebGL2 compositor. Textures hold images top row first; only the last pass flips. */

export const VERTEX = `#version 300 es
in vec2 position;
uniform float flipY;
out vec2 uv;
void main() {
  uv = position * 0.5 + 0.5;
  if (flipY > 0.5) uv.y = 1.0 - uv.y;
  gl_Position = vec4(position, 0.0, 1.0);
}`;

/**
 * Joint bilateral upsampling (Kopf et al., SIGGRAPH 2007): each output pixel averages the 4 x 4
 * nearest mask texels, weighted by distance and by how close the camera's colour there is to this
 * pixel's, so the edge follows the picture's edge instead of the coarse mask's; then the soft band
 * is narrowed by a smoothstep.
 */
export const UPSAMPLE = `#version 300 es
precision highp float;
uniform sampler2D frame;
uniform sampler2D mask;
uniform vec2 maskSize;
uniform float rangeSigma;
uniform vec2 edge;
in vec2 uv;
out vec4 colour;
void main() {
  vec3 guide = texture(frame, uv).rgb;
  vec2 p = uv * maskSize - 0.5;
  vec2 base = floor(p);
  float sum = 0.0;
  float weights = 0.0;
  float range = -0.5 / (rangeSigma * rangeSigma);
  for (int dy = -1; dy <= 2; dy++) {
    for (int dx = -1; dx <= 2; dx++) {
      vec2 t = base + vec2(float(dx), float(dy));
      vec2 at = (t + 0.5) / maskSize;
      vec2 d = p - t;
      vec3 c = texture(frame, at).rgb - guide;
      float w = exp(-0.5 * dot(d, d) + range * dot(c, c));
      sum += w * texture(mask, at).r;
      weights += w;
    }
  }
  float a = weights > 1e-6 ? sum / weights : texture(mask, uv).r;
  colour = vec4(smoothstep(edge.x, edge.y, a), 0.0, 0.0, 1.0);
}`;

/** The background alone, premultiplied by its share (1 - alpha), at a quarter of the size: 4 taps of a 4 x 4 block. */
export const BACKGROUND_DOWN = `#version 300 es
precision highp float;
uniform sampler2D frame;
uniform sampler2D alpha;
uniform vec2 frameTexel;
in vec2 uv;
out vec4 colour;
void main() {
  vec4 sum = vec4(0.0);
  for (int i = 0; i < 4; i++) {
    vec2 at = uv + frameTexel * vec2(i == 0 || i == 2 ? -1.0 : 1.0, i < 2 ? -1.0 : 1.0);
    float b = 1.0 - texture(alpha, at).r;
    sum += vec4(texture(frame, at).rgb * b, b);
  }
  colour = sum * 0.25;
}`;

/** One direction of a Gaussian blur; run twice (horizontal, vertical). */
export const BLUR = `#version 300 es
precision highp float;
uniform sampler2D source;
uniform vec2 direction;
uniform float sigma;
in vec2 uv;
out vec4 colour;
void main() {
  vec4 sum = texture(source, uv);
  float weights = 1.0;
  float k = -0.5 / (sigma * sigma);
  for (int i = 1; i <= 32; i++) {
    float x = float(i);
    if (x > 3.0 * sigma) break;
    float w = exp(k * x * x);
    sum += w * (texture(source, uv + direction * x) + texture(source, uv - direction * x));
    weights += 2.0 * w;
  }
  colour = sum / weights;
}`;

/**
 * The output: the person over the background. The blurred background is un-premultiplied, so the
 * person's own colours never bleed into it (no glow around the head); light wrap lets a little of
 * the background's light onto the person's edge, where the background is near.
 */
export const COMPOSITE = `#version 300 es
precision highp float;
uniform sampler2D frame;
uniform sampler2D alpha;
uniform sampler2D blurred;
uniform sampler2D image;
uniform int mode;
uniform vec3 fill;
uniform vec4 imageRect;
uniform float wrap;
in vec2 uv;
out vec4 colour;
void main() {
  vec3 fg = texture(frame, uv).rgb;
  if (mode == 4) { colour = vec4(fg, 1.0); return; }
  float a = texture(alpha, uv).r;
  if (mode == 3) { colour = vec4(fg * a, a); return; }
  vec4 b = texture(blurred, uv);
  vec3 bg = fill;
  if (mode == 0) bg = b.a > 0.004 ? b.rgb / b.a : fg;
  else if (mode == 1) bg = texture(image, imageRect.xy + uv * imageRect.zw).rgb;
  vec3 lit = mix(fg, bg, wrap * clamp(2.0 * b.a, 0.0, 1.0));
  colour = vec4(mix(bg, lit, a), 1.0);
}`;

/** COMPOSITE's mode per effect kind. */
export const MODES = { blur: 0, image: 1, colour: 2, transparent: 3, none: 4 } as const;
