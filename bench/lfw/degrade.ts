/**
 * Synthetic degradations of 8-bit RGB images for the robustness table, and a yaw estimate from the five
 * MTCNN landmarks for the pose bins. Pure TypeScript, deterministic (every random choice comes from a
 * seeded generator), no tensors. Every function returns a new image and leaves its input untouched.
 *
 * Definitions (the numbers are the defaults used by the evaluation):
 * - Occlusion, masks relative to the face box detected on the clean image, filled with mid grey (128):
 *   - lower-face block: the full box width, from the bottom edge of the box up to `fraction` of its height
 *     (30%: mouth and chin; 55%: from just above the nose tip down, like a face mask);
 *   - random block: a rectangle of area `fraction` x box area, aspect ratio (w/h) log-uniform in
 *     [1/2, 2] (clipped to the box), placed uniformly at random inside the box.
 * - Low light: y = exposure * (x/255)^gamma * 255 (gamma 2.2, exposure 0.5), then sensor noise, Gaussian
 *   with variance shotGain * y + readNoise^2 (shotGain 1, readNoise 4; photon shot noise plus read noise,
 *   in 8-bit units), independent per pixel and channel; rounded and clamped to 0..255.
 * - Low resolution: area-average down to 64x64 pixels, then bilinear back up to the original size.
 * - Blur: separable Gaussian, sigma 3 px (an LFW face is ~110 px wide), kernel radius ceil(3 sigma),
 *   edges clamped.
 * - Yaw (see `estimateYaw`): the nose tip's horizontal offset from the eye and mouth midpoints.
 */

export interface Rgb {
  width: number;
  height: number;
  /** 8-bit RGB, row-major, 3 bytes per pixel. */
  data: Uint8Array;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Pt {
  x: number;
  y: number;
}

export interface FiveLandmarks {
  leftEye: Pt;
  rightEye: Pt;
  nose: Pt;
  mouthLeft: Pt;
  mouthRight: Pt;
}

// ---------------------------------------------------------------------------------------------------
// Seeded randomness

/** 32-bit FNV-1a hash of a string, for deriving seeds from image keys. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform generator (Box-Muller, both outputs used). */
export function gaussian(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

function check(img: Rgb): void {
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`RGB buffer holds ${img.data.length} bytes, expected ${img.width}x${img.height}x3`);
  }
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** The rectangle clipped to the image, in whole pixels (may be empty). */
export function clipRect(r: Rect, width: number, height: number): Rect {
  const x0 = Math.max(0, Math.round(r.x));
  const y0 = Math.max(0, Math.round(r.y));
  const x1 = Math.min(width, Math.round(r.x + r.width));
  const y1 = Math.min(height, Math.round(r.y + r.height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** A copy of the image with the rectangle filled with one colour. */
export function fillRect(img: Rgb, rect: Rect, colour: [number, number, number] = [128, 128, 128]): Rgb {
  check(img);
  const out = new Uint8Array(img.data);
  const r = clipRect(rect, img.width, img.height);
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const o = (y * img.width + x) * 3;
      out[o] = colour[0];
      out[o + 1] = colour[1];
      out[o + 2] = colour[2];
    }
  }
  return { width: img.width, height: img.height, data: out };
}

/**
 * Where the face is assumed to be when the detector found none on the clean image: a centred square of
 * side 0.45 x the shorter image side (LFW images are 250x250 with the face ~110 px wide in the middle).
 */
export function defaultFaceBox(width: number, height: number): Rect {
  const side = 0.45 * Math.min(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side };
}

// ---------------------------------------------------------------------------------------------------
// Occlusion masks

/** Lower-face block: full box width, bottom `fraction` of the box height (area = fraction x box area). */
export function lowerFaceBlock(box: Rect, fraction: number): Rect {
  const h = box.height * fraction;
  return { x: box.x, y: box.y + box.height - h, width: box.width, height: h };
}

/**
 * Random block inside the face box with area `fraction` x box area; aspect ratio log-uniform in [1/2, 2],
 * clipped so the block fits the box; position uniform inside the box.
 */
export function randomBlock(box: Rect, fraction: number, random: () => number): Rect {
  const area = fraction * box.width * box.height;
  const aspect = Math.exp((random() * 2 - 1) * Math.log(2));
  let w = Math.sqrt(area * aspect);
  let h = area / w;
  if (w > box.width) {
    w = box.width;
    h = area / w;
  }
  if (h > box.height) {
    h = box.height;
    w = Math.min(box.width, area / h);
  }
  return { x: box.x + random() * (box.width - w), y: box.y + random() * (box.height - h), width: w, height: h };
}

/** Fraction of the face box covered by a mask rectangle (after clipping both to the image). */
export function coveredFraction(box: Rect, mask: Rect): number {
  const x0 = Math.max(box.x, mask.x);
  const y0 = Math.max(box.y, mask.y);
  const x1 = Math.min(box.x + box.width, mask.x + mask.width);
  const y1 = Math.min(box.y + box.height, mask.y + mask.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (box.width * box.height);
}

// ---------------------------------------------------------------------------------------------------
// Photometric and resolution degradations

export interface LowLightOptions {
  gamma: number;
  exposure: number;
  /** Shot-noise gain: noise variance grows by this much per unit of (8-bit) signal. */
  shotGain: number;
  /** Read-noise standard deviation in 8-bit units. */
  readNoise: number;
}

export const DEFAULT_LOW_LIGHT: LowLightOptions = { gamma: 2.2, exposure: 0.5, shotGain: 1, readNoise: 4 };

/** Low light: gamma and exposure darkening, then seeded shot + read noise. */
export function lowLight(img: Rgb, seed: number, options: Partial<LowLightOptions> = {}): Rgb {
  check(img);
  const o = { ...DEFAULT_LOW_LIGHT, ...options };
  const normal = gaussian(rng(seed));
  const lut = new Float64Array(256);
  for (let v = 0; v < 256; v++) lut[v] = o.exposure * (v / 255) ** o.gamma * 255;
  const out = new Uint8Array(img.data.length);
  const read2 = o.readNoise ** 2;
  for (let i = 0; i < img.data.length; i++) {
    const y = lut[img.data[i]!]!;
    out[i] = clampByte(y + Math.sqrt(o.shotGain * y + read2) * normal());
  }
  return { width: img.width, height: img.height, data: out };
}

/** Area-average resize down (each output pixel averages the input area it covers, fractional edges weighted). */
export function resizeArea(img: Rgb, width: number, height: number): Rgb {
  check(img);
  const sx = img.width / width;
  const sy = img.height / height;
  const out = new Uint8Array(width * height * 3);
  for (let oy = 0; oy < height; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < width; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let r = 0;
      let g = 0;
      let b = 0;
      let wsum = 0;
      for (let iy = Math.floor(y0); iy < Math.min(img.height, Math.ceil(y1)); iy++) {
        const wy = Math.min(iy + 1, y1) - Math.max(iy, y0);
        for (let ix = Math.floor(x0); ix < Math.min(img.width, Math.ceil(x1)); ix++) {
          const w = wy * (Math.min(ix + 1, x1) - Math.max(ix, x0));
          const o = (iy * img.width + ix) * 3;
          r += w * img.data[o]!;
          g += w * img.data[o + 1]!;
          b += w * img.data[o + 2]!;
          wsum += w;
        }
      }
      const o = (oy * width + ox) * 3;
      out[o] = clampByte(r / wsum);
      out[o + 1] = clampByte(g / wsum);
      out[o + 2] = clampByte(b / wsum);
    }
  }
  return { width, height, data: out };
}

/** Bilinear resize (pixel centres aligned, edges clamped); used to scale back up. */
export function resizeBilinear(img: Rgb, width: number, height: number): Rgb {
  check(img);
  const out = new Uint8Array(width * height * 3);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let oy = 0; oy < height; oy++) {
    const fy = Math.min(Math.max((oy + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const ty = fy - y0;
    for (let ox = 0; ox < width; ox++) {
      const fx = Math.min(Math.max((ox + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = img.data[(y0 * img.width + x0) * 3 + c]!;
        const b = img.data[(y0 * img.width + x1) * 3 + c]!;
        const d = img.data[(y1 * img.width + x0) * 3 + c]!;
        const e = img.data[(y1 * img.width + x1) * 3 + c]!;
        out[(oy * width + ox) * 3 + c] = clampByte((a * (1 - tx) + b * tx) * (1 - ty) + (d * (1 - tx) + e * tx) * ty);
      }
    }
  }
  return { width, height, data: out };
}

/** Low resolution: down to `size` x `size` by area averaging, then bilinear back to the original size. */
export function lowResolution(img: Rgb, size = 64): Rgb {
  return resizeBilinear(resizeArea(img, size, size), img.width, img.height);
}

/** Separable Gaussian blur with clamped edges. */
export function gaussianBlur(img: Rgb, sigma = 3): Rgb {
  check(img);
  if (sigma <= 0) return { width: img.width, height: img.height, data: new Uint8Array(img.data) };
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;
  const { width: w, height: h } = img;
  const tmp = new Float64Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = Math.min(w - 1, Math.max(0, x + k));
          s += kernel[k + radius]! * img.data[(y * w + xx) * 3 + c]!;
        }
        tmp[(y * w + x) * 3 + c] = s;
      }
    }
  }
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          const yy = Math.min(h - 1, Math.max(0, y + k));
          s += kernel[k + radius]! * tmp[(yy * w + x) * 3 + c]!;
        }
        out[(y * w + x) * 3 + c] = clampByte(s);
      }
    }
  }
  return { width: w, height: h, data: out };
}

// ---------------------------------------------------------------------------------------------------
// Named conditions used by the robustness table

export type DegradationName =
  | 'occlusion-30-lower'
  | 'occlusion-30-random'
  | 'occlusion-55-lower'
  | 'occlusion-55-random'
  | 'low-light'
  | 'low-resolution-64'
  | 'blur';

export const DEGRADATIONS: Record<DegradationName, string> = {
  'occlusion-30-lower': 'occlusion 30%, lower-face block (bottom 30% of the face box: mouth, chin)',
  'occlusion-30-random': 'occlusion 30%, random block (seeded position and aspect) inside the face box',
  'occlusion-55-lower': 'occlusion 55%, lower-face block (bottom 55% of the face box: nose tip and below)',
  'occlusion-55-random': 'occlusion 55%, random block inside the face box',
  'low-light': 'low light: gamma 2.2, exposure 0.5, shot + read noise (seeded)',
  'low-resolution-64': 'low resolution: down to 64x64, bilinear back up',
  blur: 'Gaussian blur, sigma 3 px',
};

/**
 * Applies a named degradation. `faceBox` is the face found on the clean image (or `defaultFaceBox` when
 * none was found); `seedKey` (e.g. the image key) makes the random parts repeatable per image.
 */
export function degrade(img: Rgb, name: DegradationName, faceBox: Rect, seedKey: string): Rgb {
  const seed = hashSeed(`${name}:${seedKey}`);
  switch (name) {
    case 'occlusion-30-lower':
      return fillRect(img, lowerFaceBlock(faceBox, 0.3));
    case 'occlusion-55-lower':
      return fillRect(img, lowerFaceBlock(faceBox, 0.55));
    case 'occlusion-30-random':
      return fillRect(img, randomBlock(faceBox, 0.3, rng(seed)));
    case 'occlusion-55-random':
      return fillRect(img, randomBlock(faceBox, 0.55, rng(seed)));
    case 'low-light':
      return lowLight(img, seed);
    case 'low-resolution-64':
      return lowResolution(img, 64);
    case 'blur':
      return gaussianBlur(img, 3);
  }
}

// ---------------------------------------------------------------------------------------------------
// Pose

/**
 * Ratio of landmark half-width to depth behind the nose tip in a generic 3-D face model (eye centres
 * ~31 mm either side of the midline and ~26 mm behind the nose tip; mouth corners ~25 mm and ~21 mm).
 */
export const YAW_WIDTH_TO_DEPTH = 1.2;

/**
 * Yaw in degrees from the five landmarks; the sign is positive when the nose tip lies right of the
 * eye/mouth midpoints in the image. Model: with the face turned by yaw theta (orthographic projection),
 * a landmark pair at +-w and the nose tip at depth d in front of them project to +-w cos(theta) and
 * d sin(theta), so the nose's normalised offset a = (2 n_x - l_x - r_x) / (r_x - l_x) = (d / w) tan(theta),
 * i.e. theta = atan(a w / d). Roll is removed first (points rotated so the eyes are level), and a is the
 * mean of the eye-pair and mouth-pair offsets. An estimate for binning, not a head-pose solver: it
 * saturates near 50-60 degrees, where the nose tip reaches the far eye in the image.
 */
export function estimateYaw(l: FiveLandmarks): number {
  const mx = (l.leftEye.x + l.rightEye.x) / 2;
  const my = (l.leftEye.y + l.rightEye.y) / 2;
  const roll = Math.atan2(l.rightEye.y - l.leftEye.y, l.rightEye.x - l.leftEye.x);
  const c = Math.cos(-roll);
  const s = Math.sin(-roll);
  const x = (p: Pt): number => (p.x - mx) * c - (p.y - my) * s;
  const le = x(l.leftEye);
  const re = x(l.rightEye);
  const n = x(l.nose);
  const ml = x(l.mouthLeft);
  const mr = x(l.mouthRight);
  const offsets: number[] = [];
  if (re - le > 1e-6) offsets.push((2 * n - le - re) / (re - le));
  if (mr - ml > 1e-6) offsets.push((2 * n - ml - mr) / (mr - ml));
  if (offsets.length === 0) return 90;
  const a = offsets.reduce((p, q) => p + q, 0) / offsets.length;
  return (Math.atan(a * YAW_WIDTH_TO_DEPTH) * 180) / Math.PI;
}

export type PoseBin = 'frontal' | '15-45' | '>45';

/** Pose bin of an absolute yaw: frontal below 15 degrees, 15-45, over 45. */
export function poseBin(yawDegrees: number): PoseBin {
  const a = Math.abs(yawDegrees);
  return a < 15 ? 'frontal' : a <= 45 ? '15-45' : '>45';
}
