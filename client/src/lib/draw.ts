/**
 * Drawing detections on a 2-D canvas: boxes, the five landmarks, optional labels. Pure functions of a
 * context, the faces and a scale (image pixels to canvas pixels), so the pages and the live overlay share
 * them. Colours are fixed (and documented) so that tests can look for them in the canvas pixels.
 */

export interface PointLike {
  x: number;
  y: number;
}

export interface FaceLike {
  score: number;
  box: { x: number; y: number; width: number; height: number };
  landmarks: { leftEye: PointLike; rightEye: PointLike; nose: PointLike; mouthLeft: PointLike; mouthRight: PointLike };
}

/** Stroke and fill colours. Tests read pixels against these exact values. */
export const COLORS = {
  match: '#16a34a',
  noMatch: '#dc2626',
  neutral: '#2563eb',
  other: '#94a3b8',
  landmark: '#facc15',
  outline: '#111827',
  label: '#ffffff',
} as const;

export const LANDMARK_KEYS = ['leftEye', 'rightEye', 'nose', 'mouthLeft', 'mouthRight'] as const;

/**
 * Canvas pixels per image pixel: small photos (LFW is 250x250) are drawn larger so that boxes and dots
 * stay crisp, large ones smaller so that the canvas stays light: the long side ends between 640 and 1280.
 */
export function canvasScale(width: number, height: number): number {
  const long = Math.max(width, height, 1);
  return Math.min(1280 / long, Math.max(1, 640 / long));
}

/** Stroke width for a canvas whose long side is `long` pixels (at least 3: a solid centre line). */
export function strokeWidth(long: number): number {
  return Math.max(3, Math.round(long / 160));
}

export interface DrawOptions {
  /** Canvas pixels per image pixel. */
  scale: number;
  /** Box colour, per face. */
  color: (face: FaceLike, index: number) => string;
  /** Text drawn above each box (none when it returns an empty string). */
  label?: (face: FaceLike, index: number) => string;
  /** Stroke width; default from the canvas size. */
  lineWidth?: number;
}

export function drawFaces(ctx: CanvasRenderingContext2D, faces: readonly FaceLike[], options: DrawOptions): void {
  const long = Math.max(ctx.canvas.width, ctx.canvas.height);
  const s = options.scale;
  faces.forEach((face, i) => {
    const color = options.color(face, i);
    const x = Math.round(face.box.x * s);
    const y = Math.round(face.box.y * s);
    const w = Math.round(face.box.width * s);
    const h = Math.round(face.box.height * s);
    // Sizes follow the face on the canvas (small faces in a group photo get thin lines and small dots),
    // within what the canvas size allows; never under 3 px, so every stroke has a solid centre.
    const side = Math.max(1, Math.min(w, h));
    const lw = options.lineWidth ?? Math.max(3, Math.min(strokeWidth(long), Math.round(side / 40)));
    const radius = Math.max(3, Math.min(lw * 1.25, side / 30));
    const font = Math.max(12, Math.min(lw * 4, Math.round(side / 6)));
    ctx.save();
    ctx.lineJoin = 'miter';
    ctx.lineWidth = lw;
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, w, h);
    for (const key of LANDMARK_KEYS) {
      const p = face.landmarks[key];
      ctx.beginPath();
      ctx.arc(p.x * s, p.y * s, radius + Math.max(1, radius / 3), 0, Math.PI * 2);
      ctx.fillStyle = COLORS.outline;
      ctx.fill();
      ctx.beginPath();
      ctx.arc(p.x * s, p.y * s, radius, 0, Math.PI * 2);
      ctx.fillStyle = COLORS.landmark;
      ctx.fill();
    }
    const text = options.label?.(face, i) ?? '';
    if (text) {
      ctx.font = `600 ${font}px system-ui, sans-serif`;
      const pad = Math.round(font * 0.25);
      const tw = ctx.measureText(text).width + pad * 2;
      const th = font + pad * 2;
      // Above the box when there is room, else just inside its top edge.
      const ty = y - lw / 2 - th >= 0 ? y - lw / 2 - th : y + lw / 2;
      const tx = Math.min(Math.max(0, x - lw / 2), ctx.canvas.width - tw);
      ctx.fillStyle = color;
      ctx.fillRect(tx, ty, tw, th);
      ctx.fillStyle = COLORS.label;
      ctx.textBaseline = 'top';
      ctx.fillText(text, tx + pad, ty + pad);
    }
    ctx.restore();
  });
}
