/**
 * Which face the API uses (models/select.ts through the server): the default PROMINENT rule, LARGEST and
 * an index on request, the ambiguity flag, and typed errors. Real server, real models, real images: an LFW
 * photo with a larger bystander cut by the border, and photos composed here from a face-api sample face.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { hasLfw, lfwSkipReason, readSample } from '../support/fixtures.js';
import { errorCodes, lfw, startTestServer, stopAll, upload, type UploadFile } from './helpers.js';

const SELECTION = 'selection { index rule faceCount ambiguous runnerUpIndex }';
const EMBED_CHOICE = /* GraphQL */ `
  mutation Embed($image: File!, $face: FaceSelector) {
    embed(image: $image, face: $face) { vector faceCount face { box { x y width height } inFrame } ${SELECTION} }
  }
`;
const VERIFY_CHOICE = /* GraphQL */ `
  mutation Verify($reference: File!, $probe: File!, $probeFace: FaceSelector) {
    verify(reference: $reference, probe: $probe, probeFace: $probeFace) { similarity match reference { ${SELECTION} } probe { ${SELECTION} } }
  }
`;

interface Selection {
  index: number;
  rule: string;
  faceCount: number;
  ambiguous: boolean;
  runnerUpIndex: number | null;
}
interface EmbedData {
  embed: { vector: number[]; faceCount: number; face: { box: { x: number; y: number; width: number; height: number }; inFrame: number }; selection: Selection };
}
interface VerifyData {
  verify: { similarity: number; match: boolean; reference: { selection: Selection }; probe: { selection: Selection } };
}

let server: RunningServer;
/** One face cut from face-api's sample1.jpg with a margin: the building block of the composed photos. */
let faceTile: Buffer;

const jpeg = (bytes: Buffer, name: string): UploadFile => ({ bytes, name });
const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

/** A grey canvas with the face tile pasted at each place (left, top, size in pixels). */
async function compose(width: number, height: number, places: Array<{ left: number; top: number; size: number }>): Promise<Buffer> {
  const layers = await Promise.all(
    places.map(async ({ left, top, size }) => {
      // Crop what falls outside the canvas: sharp's composite refuses overlays that stick out.
      const tile = await sharp(faceTile).resize(size, size).toBuffer();
      const x0 = Math.max(0, -left);
      const y0 = Math.max(0, -top);
      const w = Math.min(size, width - left) - x0;
      const h = Math.min(size, height - top) - y0;
      const input = await sharp(tile).extract({ left: x0, top: y0, width: w, height: h }).toBuffer();
      return { input, left: left + x0, top: top + y0 };
    }),
  );
  return sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } }).composite(layers).jpeg({ quality: 92 }).toBuffer();
}

beforeAll(async () => {
  server = await startTestServer();
  const sample = readSample(1);
  const detected = await upload<{ detect: { faces: Array<{ box: { x: number; y: number; width: number; height: number } }> } }>(
    server.url,
    'mutation ($image: File!) { detect(image: $image) { faces { box { x y width height } } } }',
    { image: jpeg(sample, 'sample1.jpg') },
  );
  const box = detected.body.data!.detect.faces[0]!.box;
  const meta = await sharp(sample).metadata();
  const side = Math.round(Math.max(box.width, box.height) * 1.6);
  const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
  const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
  faceTile = await sharp(sample)
    .extract({ left, top, width: Math.min(side, meta.width! - left), height: Math.min(side, meta.height! - top) })
    .jpeg()
    .toBuffer();
});

afterAll(async () => {
  await stopAll();
});

describe('the default face is the prominent one', () => {
  it('a large face cut by the border beside a central one: embed uses the central face, LARGEST the cut one', async () => {
    // 640x480: a 300 px tile whose face is about a quarter past the left edge, a 190 px tile in the middle.
    const photo = await compose(640, 480, [
      { left: -100, top: 60, size: 300 },
      { left: 320 - 95, top: 240 - 95, size: 190 },
    ]);
    const prominent = await upload<EmbedData>(server.url, EMBED_CHOICE, { image: jpeg(photo, 'cut.jpg') });
    expect(prominent.body.errors).toBeUndefined();
    const e = prominent.body.data!.embed;
    expect(e.faceCount).toBe(2);
    expect(e.selection).toMatchObject({ rule: 'PROMINENT', faceCount: 2, ambiguous: false, runnerUpIndex: null });
    const centreX = e.face.box.x + e.face.box.width / 2;
    expect(Math.abs(centreX - 320)).toBeLessThan(40);
    expect(e.face.inFrame).toBeGreaterThan(0.95);
    const largest = await upload<EmbedData>(server.url, EMBED_CHOICE, { image: jpeg(photo, 'cut.jpg') }, { variables: { face: { rule: 'LARGEST' } } });
    const l = largest.body.data!.embed;
    expect(l.selection).toMatchObject({ index: 0, rule: 'LARGEST' });
    expect(l.face.box.x).toBe(0);
    expect(l.face.inFrame).toBeLessThan(0.95);
    expect(e.selection.index).not.toBe(l.selection.index);
    // An index from detect's list picks exactly that face.
    const byIndex = await upload<EmbedData>(server.url, EMBED_CHOICE, { image: jpeg(photo, 'cut.jpg') }, { variables: { face: { index: e.selection.index } } });
    expect(byIndex.body.data!.embed.selection).toMatchObject({ index: e.selection.index, rule: 'INDEX', ambiguous: false });
    expect(dot(byIndex.body.data!.embed.vector, e.vector)).toBeCloseTo(1, 5);
  });

  it('two equal faces side by side: the choice is flagged ambiguous and the other face named', async () => {
    const photo = await compose(640, 360, [
      { left: 320 - 20 - 200, top: 80, size: 200 },
      { left: 320 + 20, top: 80, size: 200 },
    ]);
    const r = await upload<EmbedData>(server.url, EMBED_CHOICE, { image: jpeg(photo, 'twins.jpg') });
    expect(r.body.errors).toBeUndefined();
    const { selection } = r.body.data!.embed;
    expect(selection.faceCount).toBe(2);
    expect(selection.ambiguous).toBe(true);
    expect(selection.runnerUpIndex).toBe(1 - selection.index);
    // Naming the face resolves it: never ambiguous.
    const chosen = await upload<EmbedData>(server.url, EMBED_CHOICE, { image: jpeg(photo, 'twins.jpg') }, { variables: { face: { index: selection.runnerUpIndex } } });
    expect(chosen.body.data!.embed.selection).toMatchObject({ index: selection.runnerUpIndex, ambiguous: false });
  });

  it('verify takes a face per side and reports both selections', async () => {
    const photo = await compose(640, 360, [
      { left: 60, top: 80, size: 200 },
      { left: 380, top: 100, size: 160 },
    ]);
    const r = await upload<VerifyData>(server.url, VERIFY_CHOICE, { reference: jpeg(faceTile, 'tile.jpg'), probe: jpeg(photo, 'two.jpg') }, { variables: { probeFace: { index: 1 } } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.verify.reference.selection).toMatchObject({ index: 0, faceCount: 1, rule: 'PROMINENT', ambiguous: false });
    expect(r.body.data!.verify.probe.selection).toMatchObject({ index: 1, faceCount: 2, rule: 'INDEX' });
    expect(r.body.data!.verify.match).toBe(true);
  });
});

describe('bad face choices get typed errors', () => {
  it('an index the image does not have is FACE_INDEX_OUT_OF_RANGE, naming the upload', async () => {
    const r = await upload<VerifyData>(server.url, VERIFY_CHOICE, { reference: jpeg(faceTile, 'a.jpg'), probe: jpeg(faceTile, 'b.jpg') }, { variables: { probeFace: { index: 3 } } });
    expect(errorCodes(r)).toEqual(['FACE_INDEX_OUT_OF_RANGE']);
    expect(r.body.errors![0]!.extensions!.argument).toBe('probe');
    expect(r.body.errors![0]!.message).toMatch(/1 face/);
  });

  it('a selector with both a rule and an index, or neither, is refused before any inference', async () => {
    for (const face of [{ rule: 'LARGEST', index: 0 }, {}]) {
      const r = await upload(server.url, EMBED_CHOICE, { image: jpeg(faceTile, 'a.jpg') }, { variables: { face } });
      expect(r.body.data ?? null).toBeNull();
      expect(errorCodes(r).length).toBe(1);
      expect(r.body.errors![0]!.message).toMatch(/exactly one/i);
    }
  });
});

describe.skipIf(!hasLfw)('LFW: a larger bystander at the border', () => {
  it('Laura_Bush_0011 embeds Laura Bush (the central face), not the larger George W. Bush at the edge', async () => {
    const r = await upload<EmbedData>(server.url, EMBED_CHOICE, { image: lfw('Laura_Bush', 11) });
    const e = r.body.data!.embed;
    expect(e.faceCount).toBe(2);
    expect(e.selection.index).toBe(1);
    const cx = e.face.box.x + e.face.box.width / 2;
    const cy = e.face.box.y + e.face.box.height / 2;
    expect(Math.hypot(cx - 125, cy - 125)).toBeLessThan(30);
    const largest = (await upload<EmbedData>(server.url, EMBED_CHOICE, { image: lfw('Laura_Bush', 11) }, { variables: { face: { rule: 'LARGEST' } } })).body.data!.embed;
    const laura = (await upload<EmbedData>(server.url, EMBED_CHOICE, { image: lfw('Laura_Bush', 1) })).body.data!.embed;
    const george = (await upload<EmbedData>(server.url, EMBED_CHOICE, { image: lfw('George_W_Bush', 1) })).body.data!.embed;
    // Identity, not geometry: the default face is Laura Bush, the largest is her husband.
    expect(dot(e.vector, laura.vector)).toBeGreaterThan(dot(e.vector, george.vector));
    expect(dot(largest.vector, george.vector)).toBeGreaterThan(dot(largest.vector, laura.vector));
  });
});

if (!hasLfw) {
  describe('LFW: a larger bystander at the border', () => {
    it.skip(lfwSkipReason, () => {});
  });
}
