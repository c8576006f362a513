/**
 * Tensor-free box arithmetic for MTCNN. Boxes are half-open pixel rectangles [x1, x2) x [y1, y2) in
 * original-image coordinates, so width = x2 - x1.
 */

export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** Regression offsets as fractions of the box width/height, in the order MTCNN emits them. */
export type Offsets = readonly [dx1: number, dy1: number, dx2: number, dy2: number];

export type NmsMode = 'union' | 'min';

function area(b: Candidate): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Overlap of two boxes: intersection over union, or over the smaller box ('min', MTCNN's last stage). */
export function overlap(a: Candidate, b: Candidate, mode: NmsMode): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const denominator = mode === 'min' ? Math.min(area(a), area(b)) : area(a) + area(b) - inter;
  return denominator > 0 ? inter / denominator : 0;
}

/** Greedy non-maximum suppression; returns the indices kept, highest score first. */
export function nonMaxSuppression(boxes: readonly Candidate[], threshold: number, mode: NmsMode): number[] {
  const order = boxes.map((_, i) => i).sort((i, j) => boxes[j]!.score - boxes[i]!.score);
  const suppressed = new Uint8Array(boxes.length);
  const kept: number[] = [];
  for (let oi = 0; oi < order.length; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    kept.push(i);
    for (let oj = oi + 1; oj < order.length; oj++) {
      const j = order[oj]!;
      if (!suppressed[j] && overlap(boxes[i]!, boxes[j]!, mode) > threshold) suppressed[j] = 1;
    }
  }
  return kept;
}

/** Applies MTCNN's bounding-box regression: each edge moves by its offset times the box size. */
export function regressBox(box: Candidate, offsets: Offsets): Candidate {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  return {
    x1: box.x1 + offsets[0] * w,
    y1: box.y1 + offsets[1] * h,
    x2: box.x2 + offsets[2] * w,
    y2: box.y2 + offsets[3] * h,
    score: box.score,
  };
}

/** Grows a box to a square around its centre (side = the longer edge), with integer corners. */
export function squareBox(box: Candidate): Candidate {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  const side = Math.max(w, h);
  const x1 = Math.trunc(box.x1 + w / 2 - side / 2);
  const y1 = Math.trunc(box.y1 + h / 2 - side / 2);
  const s = Math.trunc(side);
  return { x1, y1, x2: x1 + s, y2: y1 + s, score: box.score };
}
