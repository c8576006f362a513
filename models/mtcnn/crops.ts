/**
 * Crops for R-Net and O-Net, cut straight from the decoded RGB bytes: each box is resized to size x size
 * by area averaging when it shrinks (like OpenCV's INTER_AREA, which MTCNN was trained with) and bilinear
 * sampling when it grows. Pixels outside the image read as 0, MTCNN's zero padding. The values are
 * written normalised to (v - 127.5) / 128 and transposed (x-major), the layout the networks expect.
 */
import type { RgbImage } from '../types.js';
import type { Candidate } from './boxes.js';

export function mtcnnCrops(image: RgbImage, boxes: readonly Candidate[], size: number): Float32Array {
  const out = new Float32Array(boxes.length * size * size * 3);
  boxes.forEach((box, n) => writeCrop(image, box, size, out, n * size * size * 3));
  return out;
}

function writeCrop(image: RgbImage, box: Candidate, size: number, out: Float32Array, offset: number): void {
  const { width, height, data } = image;
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  const shrink = bw >= size && bh >= size;
  const sum = [0, 0, 0];
  for (let ox = 0; ox < size; ox++) {
    for (let oy = 0; oy < size; oy++) {
      sum[0] = sum[1] = sum[2] = 0;
      let count: number;
      if (shrink) {
        const xa = box.x1 + Math.round((ox * bw) / size);
        const xb = box.x1 + Math.round(((ox + 1) * bw) / size);
        const ya = box.y1 + Math.round((oy * bh) / size);
        const yb = box.y1 + Math.round(((oy + 1) * bh) / size);
        count = (xb - xa) * (yb - ya);
        for (let y = Math.max(ya, 0); y < Math.min(yb, height); y++) {
          let i = (y * width + Math.max(xa, 0)) * 3;
          for (let x = Math.max(xa, 0); x < Math.min(xb, width); x++, i += 3) {
            sum[0]! += data[i]!;
            sum[1]! += data[i + 1]!;
            sum[2]! += data[i + 2]!;
          }
        }
      } else {
        count = 1;
        const sx = box.x1 + ((ox + 0.5) * bw) / size - 0.5;
        const sy = box.y1 + ((oy + 0.5) * bh) / size - 0.5;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        for (let c = 0; c < 3; c++) {
          const p = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * 3 + c]!);
          sum[c] = (p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx) * (1 - fy) + (p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx) * fy;
        }
      }
      const o = offset + (ox * size + oy) * 3;
      out[o] = (sum[0]! / count - 127.5) * 0.0078125;
      out[o + 1] = (sum[1]! / count - 127.5) * 0.0078125;
      out[o + 2] = (sum[2]! / count - 127.5) * 0.0078125;
    }
  }
}
