/**
 * Crops for R-Net and O-Net, cut straight from the decoded RGB bytes: each box is resized to size x size
 * by area averaging when it shrinks (like OpenCV's INTER_AREA, which MTCNN was trained with) and bilinear
 * sampling when it grows. Pixels outside the image read as 0, MTCNN's zero padding. The values are
 * written normalised to (v - 127.5) / 128 and transposed (x-major), the layout the networks expect.
 */
import type { RgbImage } from '../types.js';
import type { Candidate } from './boxes.js';

/** Writes into `out` when given (at least boxes x size x size x 3 floats) and returns the part written. */
export function mtcnnCrops(image: RgbImage, boxes: readonly Candidate[], size: number, out: Float32Array = new Float32Array(boxes.length * size * size * 3)): Float32Array {
  out = out.subarray(0, boxes.length * size * size * 3);
  boxes.forEach((box, n) => writeCrop(image, box, size, out, n * size * size * 3));
  return out;
}

/** Source pixel spans [start[k], end[k]) of each of `size` output cells along one axis of a box. */
function spans(origin: number, extent: number, size: number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(size);
  const end = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    start[k] = origin + Math.round((k * extent) / size);
    end[k] = origin + Math.round(((k + 1) * extent) / size);
  }
  return { start, end };
}

function writeCrop(image: RgbImage, box: Candidate, size: number, out: Float32Array, offset: number): void {
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  if (bw >= size && bh >= size) writeShrunk(image, box, size, out, offset);
  else writeBilinear(image, box, size, out, offset);
}

function writeShrunk(image: RgbImage, box: Candidate, size: number, out: Float32Array, offset: number): void {
  const { width, height, data } = image;
  const xs = spans(box.x1, box.x2 - box.x1, size);
  const ys = spans(box.y1, box.y2 - box.y1, size);
  for (let ox = 0; ox < size; ox++) {
    const xa = xs.start[ox]!;
    const xb = xs.end[ox]!;
    const xFrom = Math.max(xa, 0);
    const xTo = Math.min(xb, width);
    for (let oy = 0; oy < size; oy++) {
      const ya = ys.start[oy]!;
      const yb = ys.end[oy]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = Math.max(ya, 0), yTo = Math.min(yb, height); y < yTo; y++) {
        for (let i = (y * width + xFrom) * 3, end = (y * width + xTo) * 3; i < end; i += 3) {
          r += data[i]!;
          g += data[i + 1]!;
          b += data[i + 2]!;
        }
      }
      // pixels outside the image count as zeros in the average
      const count = (xb - xa) * (yb - ya);
      const o = offset + (ox * size + oy) * 3;
      out[o] = (r / count - 127.5) * 0.0078125;
      out[o + 1] = (g / count - 127.5) * 0.0078125;
      out[o + 2] = (b / count - 127.5) * 0.0078125;
    }
  }
}

function writeBilinear(image: RgbImage, box: Candidate, size: number, out: Float32Array, offset: number): void {
  const { width, height, data } = image;
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  /** Index of pixel (x, y)'s red byte, or -1 outside the image (reads as 0). */
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? -1 : (y * width + x) * 3);
  for (let ox = 0; ox < size; ox++) {
    const sx = box.x1 + ((ox + 0.5) * bw) / size - 0.5;
    const x0 = Math.floor(sx);
    const fx = sx - x0;
    for (let oy = 0; oy < size; oy++) {
      const sy = box.y1 + ((oy + 0.5) * bh) / size - 0.5;
      const y0 = Math.floor(sy);
      const fy = sy - y0;
      const i00 = at(x0, y0);
      const i10 = at(x0 + 1, y0);
      const i01 = at(x0, y0 + 1);
      const i11 = at(x0 + 1, y0 + 1);
      const o = offset + (ox * size + oy) * 3;
      for (let c = 0; c < 3; c++) {
        const p00 = i00 < 0 ? 0 : data[i00 + c]!;
        const p10 = i10 < 0 ? 0 : data[i10 + c]!;
        const p01 = i01 < 0 ? 0 : data[i01 + c]!;
        const p11 = i11 < 0 ? 0 : data[i11 + c]!;
        const v = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
        out[o + c] = (v - 127.5) * 0.0078125;
      }
    }
  }
}
