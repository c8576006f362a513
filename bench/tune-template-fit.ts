/**
 * Where MTCNN's five points fall on dlib's own face chip, measured on LFW View 1 only (pairsDevTrain +
 * pairsDevTest, 3,200 pairs), never View 2. For each image's PROMINENT face, the 68-point landmark net
 * gives the points dlib's get_face_chip_details aligns on (27-54 and 60-64 onto its mean face, size
 * 150, padding 0.25); MTCNN's five points are mapped through that chip transform and averaged into a
 * five-point template. Then every face is embedded (chip + mirror) three ways and scored:
 *   - the pipeline's template (dlib's mean points, scaled by TEMPLATE_ADJUSTMENT);
 *   - the fitted template (MTCNN's points where they land, on average, on dlib's chips);
 *   - dlib's chip itself, aligned on the 68 points (one more network run per face).
 *
 *   npx tsx bench/tune-template-fit.ts [--data DIR] [--backend B] [--limit N]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { alignmentTransform, applySimilarity, fitSimilarity, invertSimilarity, landmarkPoints, mirrorChip, warpToChip } from '../models/align.js';
import { dlibChipTemplate } from '../models/embedders/dlib-resnet.js';
import { decodeImage, FacePipeline, l2Normalize, PROMINENT, selectFace, type BackendRequest } from '../models/index.js';
import { Landmark68Net } from '../models/landmarks/landmark68.js';
import type { Point } from '../models/types.js';
import { summaryLine } from './lfw/metrics.js';
import { Progress } from './lfw/progress.js';
import { imageKey, imagePath, loadLfw, pairImageKeys, parseImageKey } from './lfw/protocol.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw' },
    backend: { type: 'string', default: 'auto' },
    limit: { type: 'string' },
  },
});

/** dlib's mean face, points 17-67 in [0, 1] (dlib/image_transforms/interpolation.h, get_face_chip_details). */
const MEAN_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127,
  0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858,
  0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const MEAN_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326, 0.609345,
  0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405,
  0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803,
  0.824182,
];
const SIZE = 150;
const PADDING = 0.25;
/** dlib aligns on points 27-54 and 60-64: no jaw, no brows, no lower lip. */
const DLIB_ALIGN_POINTS = Array.from({ length: 68 }, (_, i) => i).filter((i) => i >= 27 && !(i >= 55 && i <= 59) && !(i >= 65 && i <= 67));
const dlibTarget = (i: number): Point => ({ x: ((PADDING + MEAN_X[i - 17]!) / (1 + 2 * PADDING)) * SIZE, y: ((PADDING + MEAN_Y[i - 17]!) / (1 + 2 * PADDING)) * SIZE });
const DLIB_TARGETS = DLIB_ALIGN_POINTS.map(dlibTarget);

const dataDir = path.resolve(values.data!);
const lfw = loadLfw(dataDir);
const pairs = [...lfw.devTrain.pairs, ...lfw.devTest.pairs];
const keys = pairImageKeys(pairs).slice(0, values.limit ? Number(values.limit) : undefined);

const pipeline = await FacePipeline.load({ backend: values.backend as BackendRequest, flip: false });
const landmarks68 = Landmark68Net.load(pipeline.engine);

interface Sample {
  image: { width: number; height: number; data: Uint8Array };
  mtcnn: Point[];
  /** Image -> dlib chip, from the 68 points. */
  toChip: ReturnType<typeof fitSimilarity>;
}
const samples = new Map<string, Sample>();
const bar = new Progress(`detect + 68 points (${pipeline.backend})`, keys.length, process.stderr);
for (const key of keys) {
  const d = await decodeImage(await readFile(imagePath(dataDir, parseImageKey(key))));
  const image = { width: d.width, height: d.height, data: new Uint8Array(d.data) };
  const faces = pipeline.detectFaces(image);
  bar.tick();
  if (faces.length === 0) continue;
  const face = selectFace(faces, image.width, image.height, PROMINENT).face;
  const points = landmarks68.detect(image, [face.box])[0]!.points;
  const toChip = fitSimilarity(DLIB_ALIGN_POINTS.map((i) => points[i]!), DLIB_TARGETS);
  samples.set(key, { image, mtcnn: landmarkPoints(face.landmarks), toChip });
}
bar.finish();

// The fitted template: the mean of MTCNN's points in dlib's chip frame.
const fitted: Point[] = Array.from({ length: 5 }, () => ({ x: 0, y: 0 }));
for (const s of samples.values()) {
  s.mtcnn.forEach((p, i) => {
    const q = applySimilarity(s.toChip, p);
    fitted[i]!.x += q.x / samples.size;
    fitted[i]!.y += q.y / samples.size;
  });
}
const current = dlibChipTemplate();
const fmt = (ps: Point[]): string => ps.map((p) => `(${p.x.toFixed(2)}, ${p.y.toFixed(2)})`).join(' ');
console.log(`${samples.size} faces of ${keys.length} images`);
console.log(`pipeline template: ${fmt(current)}`);
console.log(`fitted template:   ${fmt(fitted)}`);
console.log(`dlib 5-point means: ${fmt(dlibChipTemplate(SIZE, PADDING, { scale: 1, shiftY: 0 }))}`);

type Method = 'pipeline' | 'fitted' | 'dlib68';
const methods: Method[] = ['pipeline', 'fitted', 'dlib68'];
const vectors = new Map<Method, Map<string, Float32Array>>(methods.map((m) => [m, new Map()]));
const bar2 = new Progress('embed x3 (chip + mirror)', samples.size, process.stderr);
for (const [key, s] of samples) {
  const chips = [
    warpToChip(s.image, alignmentTransform({ leftEye: s.mtcnn[0]!, rightEye: s.mtcnn[1]!, nose: s.mtcnn[2]!, mouthLeft: s.mtcnn[3]!, mouthRight: s.mtcnn[4]! }, current), SIZE),
    warpToChip(s.image, alignmentTransform({ leftEye: s.mtcnn[0]!, rightEye: s.mtcnn[1]!, nose: s.mtcnn[2]!, mouthLeft: s.mtcnn[3]!, mouthRight: s.mtcnn[4]! }, fitted), SIZE),
    warpToChip(s.image, invertSimilarity(s.toChip), SIZE),
  ];
  const out = pipeline.embedChips([...chips, ...chips.map((c) => mirrorChip(c, SIZE))]);
  methods.forEach((m, i) => {
    const sum = out[i]!.map((x, d) => x + out[i + 3]![d]!);
    vectors.get(m)!.set(key, l2Normalize(sum));
  });
  bar2.tick();
}
bar2.finish();

for (const m of methods) {
  const scores: number[] = [];
  const labels: boolean[] = [];
  for (const p of pairs) {
    const a = vectors.get(m)!.get(imageKey(p.a));
    const b = vectors.get(m)!.get(imageKey(p.b));
    if (!a && !b && values.limit) continue;
    scores.push(a && b ? a.reduce((acc, x, d) => acc + x * b[d]!, 0) : -1);
    labels.push(p.same);
  }
  console.log(`${m.padEnd(9)} pairs ${scores.length}  ${summaryLine(scores, labels)}`);
}
pipeline.dispose();
