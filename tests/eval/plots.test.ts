import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { roc } from '../../bench/lfw/metrics.js';
import { histogramSvg, rocSvg, writeSvgPng } from '../../bench/lfw/plots.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-plots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plots', () => {
  const scores = [0.95, 0.9, 0.85, 0.7, 0.6, 0.5, 0.4, 0.3];
  const labels = [true, true, false, true, false, true, false, false];

  it('draws a ROC with a log FAR axis and rasterises it to PNG', async () => {
    const svg = rocSvg([{ label: 'a <test> & curve', points: roc(scores, labels) }], { farMarkers: [0.001] });
    expect(svg).toContain('1e-4');
    expect(svg).toContain('a &lt;test&gt; &amp; curve');
    const file = path.join(dir, 'roc.png');
    await writeSvgPng(svg, file);
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 820, 600]);
  });

  it('draws genuine and impostor histograms with threshold markers', async () => {
    const svg = histogramSvg([0.9, 0.95, 0.92], [0.2, 0.4, 0.5, 0.3], { markers: [{ label: 'thr', value: 0.7 }] });
    expect(svg).toContain('genuine pairs (n=3)');
    expect(svg).toContain('impostor pairs (n=4)');
    const file = path.join(dir, 'hist.png');
    await writeSvgPng(svg, file);
    expect((await sharp(file).metadata()).width).toBe(820);
  });
});
