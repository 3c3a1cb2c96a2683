/**
 * WebGL2 colour mapping of float tiles: each tile is an R32F texture of data values; the fragment
 * shader applies limits, stretch, gamma and the colormap, so changing any of them redraws without
 * a request to the server. NaN (and infinities) stay transparent: no data is never a colour.
 * Textures are sampled nearest-neighbour, so zooming past 100 % shows native pixels as blocks.
 */

export const GPU_STRETCHES = ['linear', 'sqrt', 'log', 'asinh', 'squared'] as const;
export type GpuStretch = (typeof GPU_STRETCHES)[number];

export interface Display {
  /** Data values mapped to the bottom and top of the colormap. */
  readonly vmin: number;
  readonly vmax: number;
  readonly stretch: GpuStretch;
  /** Display value v becomes v^(1/gamma) after the stretch. */
  readonly gamma: number;
  /** Softening of asinh (astropy's a), 0.001-1. */
  readonly asinhA: number;
  /** 256 RGB entries (#rrggbb). */
  readonly colors: readonly string[];
  /** Integer bit flags (DQ): 0 is black, others coloured by their highest set bit. */
  readonly flags: boolean;
}

export interface View {
  /** Native pixel at the centre of the canvas (0-based FITS coordinates, y up). */
  readonly cx: number;
  readonly cy: number;
  /** Screen (CSS) pixels per native pixel. */
  readonly scale: number;
}

/**
 * Where the view's centre pixel is drawn, in CSS pixels from the top left: the middle of a screen
 * pixel, so at 100 % every native pixel falls on exactly one screen pixel (never straddling two).
 */
export function screenCentre(cssWidth: number, cssHeight: number): [number, number] {
  return [Math.floor(cssWidth / 2) + 0.5, Math.floor(cssHeight / 2) + 0.5];
}

export interface GpuTile {
  readonly texture: WebGLTexture;
  /** Native pixel rectangle [x0, x1) x [y0, y1) the tile covers (edge blocks may pass the image). */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

import { noteTiming } from './timing.js';

const VERTEX = `#version 300 es
in vec2 a_unit;
uniform vec4 u_rect;   // tile x0, y0, x1, y1 in native pixel edges
uniform vec4 u_view;   // cx, cy, scale, unused
uniform vec2 u_canvas; // CSS pixels
uniform vec2 u_offset; // centre pixel's offset from the canvas middle (see screenCentre)
out vec2 v_uv;
void main() {
  vec2 p = mix(u_rect.xy, u_rect.zw, a_unit);
  vec2 screen = (p - u_view.xy) * u_view.z + u_offset;
  gl_Position = vec4(screen * 2.0 / u_canvas, 0.0, 1.0);
  v_uv = a_unit;
}`;

const FRAGMENT = `#version 300 es
precision highp float;
uniform highp sampler2D u_data;
uniform sampler2D u_cmap;
uniform vec2 u_limits;
uniform int u_stretch;
uniform float u_gamma;
uniform float u_a;
uniform int u_flags;
in vec2 v_uv;
out vec4 color;
void main() {
  float v = texture(u_data, v_uv).r;
  if ((floatBitsToUint(v) & 0x7f800000u) == 0x7f800000u) { color = vec4(0.0); return; }
  float x;
  if (u_flags == 1) {
    x = v <= 0.0 ? 0.0 : (floor(log2(v)) + 1.0) / 32.0;
  } else {
    x = clamp((v - u_limits.x) / (u_limits.y - u_limits.x), 0.0, 1.0);
    if (u_stretch == 1) x = sqrt(x);
    else if (u_stretch == 2) x = log(1000.0 * x + 1.0) / log(1001.0);
    else if (u_stretch == 3) x = asinh(x / u_a) / asinh(1.0 / u_a);
    else if (u_stretch == 4) x = x * x;
    if (u_gamma != 1.0) x = pow(x, 1.0 / u_gamma);
  }
  float i = min(floor(x * 256.0), 255.0);
  color = vec4(texture(u_cmap, vec2((i + 0.5) / 256.0, 0.5)).rgb, 1.0);
}`;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const s = gl.createShader(type)!;
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(s)}`);
  return s;
}

export class GlRenderer {
  readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly cmap: WebGLTexture;
  private readonly u: Record<string, WebGLUniformLocation | null>;
  private cmapKey = '';
  private cmapColors: readonly string[] | null = null;

  /**
   * Compiles the viewer's program once in a throwaway context at app start, so that the GPU
   * process's channel and its program cache are ready before a file is chosen: the viewer's own
   * context is then made and linked on the first view's critical path (before its tile requests).
   */
  static warmUp(): void {
    const t0 = performance.now();
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return;
    try {
      new GlRenderer(gl);
    } catch {
      // The viewer reports the same failure when it makes its own context.
    }
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    noteTiming('gl-warm-up', t0);
  }

  static create(canvas: HTMLCanvasElement): GlRenderer | null {
    const t0 = performance.now();
    // No preserved drawing buffer: every frame is drawn whole, and preserving it costs a copy of the
    // canvas per frame (and a buffer) in the GPU process.
    const gl = canvas.getContext('webgl2', { preserveDrawingBuffer: false, premultipliedAlpha: false, antialias: false });
    const r = gl ? new GlRenderer(gl) : null;
    noteTiming('gl-init', t0);
    return r;
  }

  private constructor(gl: WebGL2RenderingContext) {
    this.gl = gl;
    const p = gl.createProgram()!;
    gl.attachShader(p, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(p, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.bindAttribLocation(p, 0, 'a_unit');
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(p)}`);
    this.program = p;
    const names = ['u_rect', 'u_view', 'u_canvas', 'u_offset', 'u_data', 'u_cmap', 'u_limits', 'u_stretch', 'u_gamma', 'u_a', 'u_flags'];
    this.u = Object.fromEntries(names.map((n) => [n, gl.getUniformLocation(p, n)]));
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    this.cmap = gl.createTexture()!;
  }

  /** An R32F texture of a tile's values (row 0 = its lowest row). */
  upload(width: number, height: number, values: Float32Array): WebGLTexture {
    const gl = this.gl;
    const t = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, width, height, 0, gl.RED, gl.FLOAT, values);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    return t;
  }

  release(t: WebGLTexture): void {
    this.gl.deleteTexture(t);
  }

  private setColormap(colors: readonly string[]): void {
    if (colors === this.cmapColors) return;
    this.cmapColors = colors;
    const key = colors.join('');
    if (key === this.cmapKey) return;
    this.cmapKey = key;
    const rgba = new Uint8Array(256 * 4);
    for (let i = 0; i < 256; i++) {
      const c = colors[Math.min(colors.length - 1, Math.floor((i * colors.length) / 256))] ?? '#000000';
      rgba[4 * i] = parseInt(c.slice(1, 3), 16);
      rgba[4 * i + 1] = parseInt(c.slice(3, 5), 16);
      rgba[4 * i + 2] = parseInt(c.slice(5, 7), 16);
      rgba[4 * i + 3] = 255;
    }
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, this.cmap);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, 256, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  }

  /** Draws the tiles in order (coarse first, so finer ones cover them) over a cleared canvas. */
  draw(tiles: readonly GpuTile[], view: View, display: Display, cssWidth: number, cssHeight: number): void {
    const gl = this.gl;
    const canvas = gl.canvas as HTMLCanvasElement;
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(this.program);
    this.setColormap(display.colors);
    const u = this.u;
    gl.uniform4f(u.u_view!, view.cx, view.cy, view.scale, 0);
    gl.uniform2f(u.u_canvas!, cssWidth, cssHeight);
    const [mx, my] = screenCentre(cssWidth, cssHeight);
    gl.uniform2f(u.u_offset!, mx - cssWidth / 2, cssHeight / 2 - my); // clip y runs up
    const span = display.vmax - display.vmin;
    gl.uniform2f(u.u_limits!, display.vmin, display.vmin + (span > 0 ? span : Math.max(1e-30, Math.abs(display.vmin) * 1e-6)));
    gl.uniform1i(u.u_stretch!, GPU_STRETCHES.indexOf(display.stretch));
    gl.uniform1f(u.u_gamma!, display.gamma);
    gl.uniform1f(u.u_a!, display.asinhA);
    gl.uniform1i(u.u_flags!, display.flags ? 1 : 0);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.cmap);
    gl.uniform1i(u.u_cmap!, 1);
    gl.uniform1i(u.u_data!, 0);
    gl.activeTexture(gl.TEXTURE0);
    for (const t of tiles) {
      gl.bindTexture(gl.TEXTURE_2D, t.texture);
      // Pixel i covers [i - 0.5, i + 0.5]: the tile's edges are half a pixel outside its first and last centres.
      gl.uniform4f(u.u_rect!, t.x0 - 0.5, t.y0 - 0.5, t.x1 - 0.5, t.y1 - 0.5);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    }
  }
}
