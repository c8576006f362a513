import sharp from 'sharp';
import { FaceError } from '../errors.js';
import type { DecodedImage } from '../types.js';
import { describeRefused, sniffRasterFormat } from './signature.js';

export interface DecodeLimits {
  /** Largest accepted encoded file, in bytes. */
  maxBytes: number;
  /** Largest accepted width x height, checked from the header before any pixel is decoded. */
  maxPixels: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 15 * 1024 * 1024,
  maxPixels: 40_000_000,
});

/**
 * What sharp may report for each signature we let through (AVIF and HEIF share one container). SVG, PDF
 * and friends never reach sharp: they are programs, not photos, and `sniffRasterFormat` refuses them.
 */
const SHARP_FORMATS: Record<string, ReadonlySet<string>> = {
  jpeg: new Set(['jpeg']),
  png: new Set(['png']),
  gif: new Set(['gif']),
  webp: new Set(['webp']),
  heif: new Set(['heif', 'avif']),
  tiff: new Set(['tiff']),
};

// The service decodes untrusted uploads one at a time per request: never keep decoded images in sharp's cache.
sharp.cache(false);

function classifySharpError(error: unknown): FaceError {
  const message = error instanceof Error ? error.message : String(error);
  if (/unsupported image format/i.test(message)) {
    return new FaceError('UNSUPPORTED_FORMAT', 'the file is not an image in a supported format (JPEG, PNG, WebP, GIF, AVIF, TIFF)', { cause: error });
  }
  if (/pixel limit/i.test(message)) {
    return new FaceError('IMAGE_TOO_LARGE', 'the image has more pixels than allowed', { cause: error });
  }
  return new FaceError('BAD_IMAGE', `the image could not be decoded (${message.split('\n')[0]})`, { cause: error });
}

/**
 * Decodes an encoded image into 8-bit sRGB pixels with 3 channels: EXIF orientation applied, grayscale
 * replicated, alpha flattened onto white, only the first frame of animations.
 */
export async function decodeImage(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<DecodedImage> {
  const { maxBytes, maxPixels } = { ...DEFAULT_DECODE_LIMITS, ...limits };
  if (bytes.byteLength === 0) throw new FaceError('BAD_IMAGE', 'the file is empty');
  if (bytes.byteLength > maxBytes) {
    throw new FaceError('IMAGE_TOO_LARGE', `the file is ${bytes.byteLength} bytes; the limit is ${maxBytes}`);
  }

  const signature = sniffRasterFormat(bytes);
  if (signature === null) {
    throw new FaceError('UNSUPPORTED_FORMAT', `the file is ${describeRefused(bytes)}; send JPEG, PNG, WebP, GIF, AVIF or TIFF`);
  }

  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw classifySharpError(error);
  }
  const format = metadata.format ?? 'unknown';
  if (!SHARP_FORMATS[signature]!.has(format)) {
    throw new FaceError('UNSUPPORTED_FORMAT', `the format "${format}" is not supported; send JPEG, PNG, WebP, GIF, AVIF or TIFF`);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new FaceError('BAD_IMAGE', 'the image header has no dimensions');
  if (width * height > maxPixels) {
    throw new FaceError('IMAGE_TOO_LARGE', `the image is ${width}x${height} (${width * height} pixels); the limit is ${maxPixels}`);
  }

  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      format,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (error) {
    throw classifySharpError(error);
  }
}
