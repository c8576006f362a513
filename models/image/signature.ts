/**
 * Recognises an upload's container by its first bytes, before any decoder sees it. Only the raster
 * formats we accept pass; everything else (SVG and other XML, PDF, scripts, unknown binaries) is refused
 * here, so that librsvg, poppler and friends never parse untrusted bytes.
 */
export type RasterFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'heif' | 'tiff';

/** ISO-BMFF brands of still AVIF and HEIF images (the `ftyp` box's major brand). */
const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

const ascii = (bytes: Uint8Array, start: number, end: number): string =>
  String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.byteLength)));

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.byteLength >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

/** The raster format the bytes start like, or null. */
export function sniffRasterFormat(bytes: Uint8Array): RasterFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const head = ascii(bytes, 0, 12);
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  if (head.slice(4, 8) === 'ftyp' && HEIF_BRANDS.has(head.slice(8, 12))) return 'heif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  return null;
}

/** A short name for what refused bytes look like, for the error message. */
export function describeRefused(bytes: Uint8Array): string {
  let text = ascii(bytes, 0, 256);
  if (text.charCodeAt(0) === 0xef && text.charCodeAt(1) === 0xbb && text.charCodeAt(2) === 0xbf) text = text.slice(3);
  text = text.trimStart();
  if (text.startsWith('%PDF')) return 'a PDF document';
  if (/^<(\?xml|svg|!doctype svg|!--)/i.test(text) || /<svg[\s>]/i.test(text)) return 'an SVG or XML document';
  if (text.startsWith('%!PS')) return 'a PostScript document';
  return 'not an image in a supported format';
}
