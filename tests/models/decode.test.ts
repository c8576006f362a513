import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../models/index.js';
import { codeOf } from '../support/errors.js';
import { readSample } from '../support/fixtures.js';
import { hugePngHeader } from '../support/images.js';

describe('decodeImage', () => {
  it('decodes a JPEG into 3-channel 8-bit RGB', async () => {
    const image = await decodeImage(readSample(1));
    expect(image).toMatchObject({ width: 1920, height: 1280, format: 'jpeg' });
    expect(image.data.length).toBe(1920 * 1280 * 3);
  });

  it('replicates grayscale into 3 channels and flattens alpha onto white', async () => {
    const gray = await sharp({ create: { width: 8, height: 4, channels: 3, background: { r: 90, g: 90, b: 90 } } }).greyscale().png().toBuffer();
    const g = await decodeImage(gray);
    expect(g.data.length).toBe(8 * 4 * 3);
    expect([...g.data.subarray(0, 3)]).toEqual([90, 90, 90]);
    const transparent = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const t = await decodeImage(transparent);
    expect([...t.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  it('applies EXIF orientation', async () => {
    const wide = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#336699' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await decodeImage(wide);
    expect([image.width, image.height]).toEqual([20, 40]);
  });

  it('gives each kind of bad input its code', async () => {
    const jpeg = readSample(2);
    expect(await codeOf(decodeImage(new Uint8Array()))).toBe('BAD_IMAGE');
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    expect(await codeOf(decodeImage(random))).toBe('UNSUPPORTED_FORMAT');
    expect(await codeOf(decodeImage(jpeg.subarray(0, jpeg.length >> 1)))).toBe('BAD_IMAGE');
    expect(await codeOf(decodeImage(Buffer.from('just some text pretending to be photo.jpg\n')))).toBe('UNSUPPORTED_FORMAT');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect(await codeOf(decodeImage(svg))).toBe('UNSUPPORTED_FORMAT');
    expect(await codeOf(decodeImage(jpeg, { maxBytes: 1000 }))).toBe('IMAGE_TOO_LARGE');
  });

  it('refuses an image over the pixel limit from its header, without decoding it', async () => {
    const bomb = hugePngHeader(100_000, 100_000); // 30 GB of pixels in ~100 bytes
    expect(bomb.length).toBeLessThan(200);
    const before = process.memoryUsage().rss;
    expect(await codeOf(decodeImage(bomb))).toBe('IMAGE_TOO_LARGE');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    expect(await codeOf(decodeImage(readSample(1), { maxPixels: 1_000_000 }))).toBe('IMAGE_TOO_LARGE');
  });
});
