/**
 * Synthetic camera frames of a still picture, for the challenge's threshold measurements and attack
 * simulations: the same photo with sensor-like noise, small shifts, scaling, JPEG re-compression, and a
 * print (or a screen) tilted in front of the camera (a perspective view of the photo's plane).
 * Everything works on 8-bit RGB pixels; `toJpeg` encodes a frame as a browser would send it.
 */
import sharp from 'sharp';
import type { RgbImage } from '../../models/types.js';
import { rng } from '../lfw/degrade.js';

/** A deterministic generator (the evaluation's mulberry32) so a run can be repeated exactly. */
export const seededRandom: (seed: number) => () => number = rng;

export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Samples `image` at (x, y) bilinearly into out[o..o+2]; outside the image reads as `background`. */
function sample(image: RgbImage, x: number, y: number, out: Uint8Array, o: number, background: number): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 >= image.width - 1 || y0 >= image.height - 1) {
    out[o] = out[o + 1] = out[o + 2] = background;
    return;
  }
  const fx = x - x0;
  const fy = y - y0;
  const i = (y0 * image.width + x0) * 3;
  const j = i + image.width * 3;
  for (let c = 0; c < 3; c++) {
    const top = image.data[i + c]! * (1 - fx) + image.data[i + 3 + c]! * fx;
    const bottom = image.data[j + c]! * (1 - fx) + image.data[j + 3 + c]! * fx;
    out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
  }
}

/** A new frame of the same size whose pixel (x, y) is read from `from(x, y)` in the source. */
export function remap(image: RgbImage, from: (x: number, y: number) => { x: number; y: number }, background = 40): RgbImage {
  const data = new Uint8Array(image.width * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const p = from(x + 0.5, y + 0.5);
      sample(image, p.x - 0.5, p.y - 0.5, data, (y * image.width + x) * 3, background);
    }
  }
  return { width: image.width, height: image.height, data };
}

/** Moves the picture by (dx, dy) pixels and scales it by `scale` about the frame centre. */
export function shiftScale(image: RgbImage, dx: number, dy: number, scale = 1): RgbImage {
  const cx = image.width / 2;
  const cy = image.height / 2;
  return remap(image, (x, y) => ({ x: (x - cx - dx) / scale + cx, y: (y - cy - dy) / scale + cy }));
}

/** Adds zero-mean Gaussian noise of `sigma` grey levels to every channel. */
export function addNoise(image: RgbImage, sigma: number, random: () => number): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(image.data[i]! + sigma * gaussian(random))));
  return { width: image.width, height: image.height, data };
}

/**
 * The photo as a flat print (or screen) turned by `yawDeg` about its vertical axis and `pitchDeg` about
 * its horizontal axis, seen by a pinhole camera `distance` frame widths away whose focal length keeps an
 * untilted print at its size. Near edges grow, far edges shrink: a true perspective warp.
 */
export function tiltedPrint(image: RgbImage, yawDeg: number, pitchDeg = 0, distance = 1.5): RgbImage {
  const cx = image.width / 2;
  const cy = image.height / 2;
  const d = distance * image.width;
  const ya = (yawDeg * Math.PI) / 180;
  const pa = (pitchDeg * Math.PI) / 180;
  // Plane point (u, v, 0) -> camera: R = Rx(pitch) * Ry(yaw), then translated by d along z.
  const r = [
    [Math.cos(ya), 0, Math.sin(ya)],
    [Math.sin(pa) * Math.sin(ya), Math.cos(pa), -Math.sin(pa) * Math.cos(ya)],
    [-Math.cos(pa) * Math.sin(ya), Math.sin(pa), Math.cos(pa) * Math.cos(ya)],
  ];
  // Homography plane -> image: [x, y, 1] ~ K [r1 r2 t] [u, v, 1], K = diag(d, d, 1) with the centre offset.
  const h = [
    [d * r[0]![0]!, d * r[0]![1]!, 0],
    [d * r[1]![0]!, d * r[1]![1]!, 0],
    [r[2]![0]!, r[2]![1]!, d],
  ];
  const inv = invert3(h);
  return remap(image, (x, y) => {
    const X = x - cx;
    const Y = y - cy;
    const w = inv[2]![0]! * X + inv[2]![1]! * Y + inv[2]![2]!;
    return { x: (inv[0]![0]! * X + inv[0]![1]! * Y + inv[0]![2]!) / w + cx, y: (inv[1]![0]! * X + inv[1]![1]! * Y + inv[1]![2]!) / w + cy };
  });
}

function invert3(m: number[][]): number[][] {
  const [a, b, c] = m[0]!;
  const [d, e, f] = m[1]!;
  const [g, h, i] = m[2]!;
  const A = e! * i! - f! * h!;
  const B = -(d! * i! - f! * g!);
  const C = d! * h! - e! * g!;
  const det = a! * A + b! * B + c! * C;
  return [
    [A / det, -(b! * i! - c! * h!) / det, (b! * f! - c! * e!) / det],
    [B / det, (a! * i! - c! * g!) / det, -(a! * f! - c! * d!) / det],
    [C / det, -(a! * h! - b! * g!) / det, (a! * e! - b! * d!) / det],
  ];
}

export async function toJpeg(image: RgbImage, quality = 85): Promise<Buffer> {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .jpeg({ quality })
    .toBuffer();
}

/** Decodes a JPEG back to RGB pixels (no EXIF in our frames). */
export async function fromJpeg(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** `times` rounds of JPEG re-compression at `quality` (what a photo of a photo shared twice looks like). */
export async function recompress(image: RgbImage, quality: number, times: number): Promise<RgbImage> {
  let bytes = await toJpeg(image, quality);
  for (let i = 1; i < times; i++) bytes = await toJpeg(await fromJpeg(bytes), quality);
  return fromJpeg(bytes);
}

/**
 * One perturbed copy of a still picture, as a camera filming it would deliver it: noise, a small shift and
 * scale, and (sometimes) extra JPEG rounds. `strength` 1 is the attack bench's default.
 */
export async function perturbedStill(image: RgbImage, random: () => number, strength = 1): Promise<RgbImage> {
  const dx = (random() * 2 - 1) * 4 * strength;
  const dy = (random() * 2 - 1) * 4 * strength;
  const scale = 1 + (random() * 2 - 1) * 0.06 * strength;
  let frame = addNoise(shiftScale(image, dx, dy, scale), 3 + 5 * random() * strength, random);
  if (random() < 0.5) frame = await recompress(frame, 50 + Math.floor(random() * 40), 1 + Math.floor(random() * 2));
  return frame;
}
