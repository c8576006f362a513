/**
 * A scripted 3-D face for the challenge's unit tests: 68 points in iBUG order on a rough head shape (jaw
 * on the silhouette, nose in front, eyes with lids that close), rotated by a yaw and projected. Not a
 * face model of anyone: just geometry with depth, so that a turn is not a homography and a blink is.
 */
import type { Box, Point } from '../../../models/types.js';

interface Point3 {
  x: number;
  y: number;
  z: number;
}

const W = 60; // half face width, pixels at scale 1
const EYE_Y = -15;

function eye(cx: number, open: number): Point3[] {
  const h = 5 * open;
  return [
    { x: cx - 12, y: EYE_Y, z: 35 },
    { x: cx - 4, y: EYE_Y - h, z: 37 },
    { x: cx + 4, y: EYE_Y - h, z: 37 },
    { x: cx + 12, y: EYE_Y, z: 35 },
    { x: cx + 4, y: EYE_Y + h, z: 37 },
    { x: cx - 4, y: EYE_Y + h, z: 37 },
  ];
}

function head(open: number): Point3[] {
  const points: Point3[] = [];
  // jaw 0-16: from the image-left silhouette at eye level, round the chin, to the right silhouette
  for (let i = 0; i <= 16; i++) {
    const a = Math.PI * (i / 16);
    points.push({ x: -W * Math.cos(a), y: EYE_Y + 70 * Math.sin(a) ** 0.8, z: 25 * Math.sin(a) });
  }
  // brows 17-26
  for (let i = 0; i < 10; i++) {
    const side = i < 5 ? -1 : 1;
    const k = i < 5 ? i : i - 5;
    points.push({ x: side * (8 + (i < 5 ? 4 - k : k) * 8), y: EYE_Y - 15, z: 40 });
  }
  // nose bridge 27-30, lower nose 31-35
  for (let i = 0; i < 4; i++) points.push({ x: 0, y: EYE_Y + 6 + i * 8, z: 45 + i * 6 });
  for (let i = 0; i < 5; i++) points.push({ x: (i - 2) * 7, y: EYE_Y + 38, z: 48 - Math.abs(i - 2) * 4 });
  points.push(...eye(-30, open), ...eye(30, open));
  // mouth 48-67
  for (let i = 0; i < 12; i++) {
    const a = (2 * Math.PI * i) / 12;
    points.push({ x: -20 * Math.cos(a), y: EYE_Y + 55 + 6 * Math.sin(a), z: 40 });
  }
  for (let i = 0; i < 8; i++) {
    const a = (2 * Math.PI * i) / 8;
    points.push({ x: -14 * Math.cos(a), y: EYE_Y + 55 + 2 * Math.sin(a), z: 40 });
  }
  return points;
}

export interface Pose {
  /** Degrees, positive = the subject's left (the nose moves to the image's right). */
  yaw?: number;
  /** 1 open, 0 closed. */
  open?: number;
  dx?: number;
  dy?: number;
  scale?: number;
  /** Gaussian-ish landmark noise, pixels (deterministic from `seed`). */
  jitter?: number;
  seed?: number;
}

function noise(seed: number): number {
  const s = Math.sin(seed * 12.9898) * 43758.5453;
  return (s - Math.floor(s)) * 2 - 1;
}

export function landmarksOf(pose: Pose = {}): Point[] {
  const { yaw = 0, open = 1, dx = 0, dy = 0, scale = 1, jitter = 0.4, seed = 1 } = pose;
  const a = (yaw * Math.PI) / 180;
  return head(open).map((p, i) => ({
    x: 320 + dx + scale * (p.x * Math.cos(a) + p.z * Math.sin(a)) + jitter * noise(seed * 131 + i),
    y: 240 + dy + scale * p.y + jitter * noise(seed * 173 + i + 0.5),
  }));
}

export function boxOf(points: readonly Point[]): Box {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys) - 20;
  const side = Math.max(Math.max(...xs) - x, Math.max(...ys) - y);
  return { x, y, width: side, height: side };
}
