import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, type FaceError } from '../../models/index.js';
import { sniffRasterFormat } from '../../models/image/signature.js';
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

describe('signature check before any decoder (issue 13, item 4)', () => {
  /** The FaceError a decode rejects with. */
  const refusal = async (bytes: Uint8Array): Promise<FaceError> => {
    try {
      await decodeImage(bytes);
    } catch (error) {
      return error as FaceError;
    }
    throw new Error('decoded');
  };

  it('refuses SVG, XML and PDF by their first bytes: no decoder error is the cause', async () => {
    const documents = {
      'an SVG or XML document': [
        '<svg xmlns="http://www.w3.org/2000/svg"/>',
        '\ufeff  <?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
        '<!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
      ],
      'a PDF document': ['%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n'],
    };
    for (const [kind, texts] of Object.entries(documents)) {
      for (const text of texts) {
        const error = await refusal(Buffer.from(text));
        expect(error.code).toBe('UNSUPPORTED_FORMAT');
        expect(error.message).toContain(kind);
        // sharp's errors arrive as the cause: none means the bytes never reached libvips.
        expect(error.cause).toBeUndefined();
      }
    }
  });

  it('recognises every format it accepts, as sharp writes them', async () => {
    const base = sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } });
    const encoded = {
      jpeg: await base.clone().jpeg().toBuffer(),
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp().toBuffer(),
      gif: await base.clone().gif().toBuffer(),
      heif: await base.clone().avif().toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
    };
    for (const [format, bytes] of Object.entries(encoded)) {
      expect(sniffRasterFormat(bytes), format).toBe(format);
      const image = await decodeImage(bytes);
      expect(image.width, format).toBe(16);
    }
    expect(sniffRasterFormat(Buffer.from('GIF90a'))).toBeNull();
    expect(sniffRasterFormat(new Uint8Array([0xff, 0xd8]))).toBeNull();
  });
});
