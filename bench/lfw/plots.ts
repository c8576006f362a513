/**
 * Plots for the evaluation report, written as SVG and rasterised to PNG with sharp (no plotting library).
 * Text uses DejaVu Sans, which librsvg finds through fontconfig.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { RocPoint } from './metrics.js';

const FONT = "font-family=\"DejaVu Sans, sans-serif\"";
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number, digits = 3): string {
  return Number(v.toFixed(digits)).toString();
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function plotArea(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.top, y1: f.height - f.bottom };
}

function header(f: Frame, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${f.width / 2}" y="24" text-anchor="middle" ${FONT} font-size="17" font-weight="bold">${esc(title)}</text>`,
  ].join('\n');
}

export interface RocCurve {
  label: string;
  points: readonly RocPoint[];
  colour?: string;
}

export interface RocPlotOptions {
  title?: string;
  /** Smallest FAR shown (log axis); points with FAR below it are drawn at it. Default 1e-4. */
  minFar?: number;
  /** TAR axis lower bound; default: the lowest TAR shown at minFar, rounded down to 0.05. */
  minTar?: number;
  width?: number;
  height?: number;
  /** Vertical markers, e.g. FAR 0.1%. */
  farMarkers?: number[];
}

/** ROC curves with a logarithmic FAR axis, as an SVG document. */
export function rocSvg(curves: readonly RocCurve[], options: RocPlotOptions = {}): string {
  const f: Frame = { width: options.width ?? 820, height: options.height ?? 600, left: 80, right: 30, top: 44, bottom: 70 };
  const { x0, x1, y0, y1 } = plotArea(f);
  const minFar = options.minFar ?? 1e-4;
  const lmin = Math.log10(minFar);
  let minTar = options.minTar;
  if (minTar === undefined) {
    let lo = 1;
    for (const c of curves) for (const p of c.points) if (p.far >= minFar || p.far === 0) lo = Math.min(lo, p.tar);
    minTar = Math.max(0, Math.floor(lo / 0.05) * 0.05);
    if (minTar >= 0.999) minTar = 0.95;
  }
  const X = (far: number): number => x0 + ((Math.log10(Math.max(far, minFar)) - lmin) / -lmin) * (x1 - x0);
  const Y = (tar: number): number => y1 - ((Math.max(tar, minTar) - minTar) / (1 - minTar)) * (y1 - y0);
  const out: string[] = [header(f, options.title ?? 'ROC')];
  // Grid and axes.
  for (let e = Math.ceil(lmin); e <= 0; e++) {
    const x = X(10 ** e);
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}" stroke="#ddd"/>`);
    const label = e === 0 ? '1' : `1e${e}`;
    out.push(`<text x="${x}" y="${y1 + 20}" text-anchor="middle" ${FONT} font-size="13">${label}</text>`);
    for (let m = 2; m < 10 && e < 0; m++) {
      const xm = X(m * 10 ** e);
      out.push(`<line x1="${xm}" y1="${y1}" x2="${xm}" y2="${y1 - 5}" stroke="#999"/>`);
    }
  }
  const step = (1 - minTar) / 5;
  for (let k = 0; k <= 5; k++) {
    const t = minTar + k * step;
    const y = Y(t);
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 - 8}" y="${y + 4}" text-anchor="end" ${FONT} font-size="13">${fmt(t, 3)}</text>`);
  }
  for (const m of options.farMarkers ?? []) {
    const x = X(m);
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}" stroke="#888" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${x + 4}" y="${y1 - 8}" ${FONT} font-size="12" fill="#555">FAR ${fmt(m * 100, 2)}%</text>`);
  }
  out.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${f.height - 22}" text-anchor="middle" ${FONT} font-size="14">False accept rate (log scale)</text>`);
  out.push(`<text transform="translate(22 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="14">True accept rate</text>`);
  const curveLines: string[] = [];
  const legend: string[] = [];
  // Legend box, sized to the longest label (DejaVu Sans 13 px: ~7.6 px per character).
  const legendWidth = Math.max(...curves.map((c) => c.label.length)) * 7.6 + 50;
  const legendTop = y1 - 28 - curves.length * 20;
  legend.push(`<rect x="${x1 - legendWidth - 10}" y="${legendTop}" width="${legendWidth}" height="${curves.length * 20 + 10}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  // Curves (thinned to at most one point per horizontal pixel column, keeping the highest TAR).
  curves.forEach((c, i) => {
    const colour = c.colour ?? PALETTE[i % PALETTE.length]!;
    const pts: string[] = [];
    let lastX = -1;
    for (const p of c.points) {
      const x = Math.round(X(p.far) * 2) / 2;
      const y = Y(p.tar);
      if (x === lastX && pts.length) pts[pts.length - 1] = `${x},${fmt(y, 2)}`;
      else pts.push(`${x},${fmt(y, 2)}`);
      lastX = x;
    }
    curveLines.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const ly = legendTop + 15 + i * 20;
    const lx = x1 - legendWidth;
    legend.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 25}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    legend.push(`<text x="${lx + 32}" y="${ly + 4}" ${FONT} font-size="13">${esc(c.label)}</text>`);
  });
  out.push(...curveLines, ...legend, '</svg>');
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export interface HistogramOptions {
  title?: string;
  xLabel?: string;
  bins?: number;
  /** Vertical lines, e.g. operating thresholds. */
  markers?: ReadonlyArray<{ label: string; value: number }>;
  width?: number;
  height?: number;
  /** Axis range; default: the data's range. */
  range?: [number, number];
}

/**
 * Genuine and impostor score histograms, each normalised to a density (so both are visible whatever their
 * counts), as an SVG document.
 */
export function histogramSvg(genuine: ArrayLike<number>, impostor: ArrayLike<number>, options: HistogramOptions = {}): string {
  const f: Frame = { width: options.width ?? 820, height: options.height ?? 520, left: 80, right: 30, top: 44, bottom: 70 };
  const { x0, x1, y0, y1 } = plotArea(f);
  const all = [...Array.from(genuine), ...Array.from(impostor)];
  let [lo, hi] = options.range ?? [Math.min(...all), Math.max(...all)];
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const nb = options.bins ?? 80;
  const w = (hi - lo) / nb;
  const hist = (v: ArrayLike<number>): number[] => {
    const h = new Array<number>(nb).fill(0);
    for (let i = 0; i < v.length; i++) h[Math.min(nb - 1, Math.max(0, Math.floor((v[i]! - lo) / w)))]! += 1;
    return h.map((c) => (v.length ? c / v.length / w : 0));
  };
  const hg = hist(genuine);
  const hi2 = hist(impostor);
  const top = Math.max(...hg, ...hi2) * 1.08 || 1;
  const X = (v: number): number => x0 + ((v - lo) / (hi - lo)) * (x1 - x0);
  const Y = (d: number): number => y1 - (d / top) * (y1 - y0);
  const out: string[] = [header(f, options.title ?? 'Score distributions')];
  for (let k = 0; k <= 10; k++) {
    const v = lo + (k * (hi - lo)) / 10;
    const x = X(v);
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${y1 + 20}" text-anchor="middle" ${FONT} font-size="13">${fmt(v, 2)}</text>`);
  }
  const tick = niceStep(top / 5);
  for (let d = 0; d <= top; d += tick) {
    out.push(`<line x1="${x0 - 4}" y1="${Y(d)}" x2="${x0}" y2="${Y(d)}" stroke="#333"/>`);
    out.push(`<text x="${x0 - 8}" y="${Y(d) + 4}" text-anchor="end" ${FONT} font-size="13">${fmt(d, 2)}</text>`);
  }
  const bars = (h: number[], colour: string): void => {
    const d: string[] = [`M ${X(lo)} ${y1}`];
    h.forEach((v, k) => {
      d.push(`L ${fmt(X(lo + k * w), 2)} ${fmt(Y(v), 2)}`, `L ${fmt(X(lo + (k + 1) * w), 2)} ${fmt(Y(v), 2)}`);
    });
    d.push(`L ${X(hi)} ${y1} Z`);
    out.push(`<path d="${d.join(' ')}" fill="${colour}" fill-opacity="0.35" stroke="${colour}" stroke-width="1.5"/>`);
  };
  bars(hi2, PALETTE[1]!);
  bars(hg, PALETTE[0]!);
  (options.markers ?? []).forEach((m, i) => {
    const x = X(m.value);
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}" stroke="#333" stroke-dasharray="5 4"/>`);
    const right = x > (x0 + x1) / 2;
    out.push(`<text x="${right ? x - 4 : x + 4}" y="${y0 + 16 + i * 16}" text-anchor="${right ? 'end' : 'start'}" ${FONT} font-size="12">${esc(m.label)} ${fmt(m.value, 3)}</text>`);
  });
  out.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#333"/>`);
  const legend = [
    { label: `genuine pairs (n=${genuine.length})`, colour: PALETTE[0]! },
    { label: `impostor pairs (n=${impostor.length})`, colour: PALETTE[1]! },
  ];
  legend.forEach((l, i) => {
    const ly = y0 + 18 + i * 20;
    out.push(`<rect x="${x0 + 12}" y="${ly - 10}" width="18" height="12" fill="${l.colour}" fill-opacity="0.5" stroke="${l.colour}"/>`);
    out.push(`<text x="${x0 + 36}" y="${ly}" ${FONT} font-size="13">${esc(l.label)}</text>`);
  });
  out.push(`<text x="${(x0 + x1) / 2}" y="${f.height - 22}" text-anchor="middle" ${FONT} font-size="14">${esc(options.xLabel ?? 'score')}</text>`);
  out.push(`<text transform="translate(22 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" ${FONT} font-size="14">density</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** Rasterises an SVG document to a PNG file (creating the folder). */
export async function writeSvgPng(svg: string, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  await writeFile(file, png);
}
