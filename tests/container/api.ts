/**
 * The service's GraphQL API as a client outside the container sees it (through the published port):
 * JSON requests, multipart uploads (the GraphQL multipart request spec), and the photos the tests send.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { graphqlForm } from '../../bench/graphql-form.js';
import { repoRoot } from './engine.js';

const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? path.join(repoRoot, '../shared/data/lfw'));

export interface GqlBody {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
}

export interface GqlResult {
  status: number;
  body: GqlBody;
  ms: number;
}

export interface Upload {
  name: string;
  bytes: Uint8Array;
  type: string;
}

export async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GqlResult> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GqlBody, ms: performance.now() - started };
}

/** A mutation with files: `files` maps a variable to one upload, or a list variable to several. */
export async function upload(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  files: Record<string, Upload | Upload[]>,
  headers: Record<string, string> = {},
): Promise<GqlResult> {
  const byPath = Object.entries(files).flatMap(([name, value]) => (Array.isArray(value) ? value.map((file, i) => [`${name}.${i}`, file] as const) : [[name, value] as const]));
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, { method: 'POST', body: graphqlForm(query, variables, Object.fromEntries(byPath)), headers });
  return { status: response.status, body: (await response.json()) as GqlBody, ms: performance.now() - started };
}

export function verifyPair(url: string, reference: Upload, probe: Upload): Promise<GqlResult> {
  const query = 'mutation ($r: File!, $p: File!) { verify(reference: $r, probe: $p) { similarity match threshold model reference { faceCount } probe { faceCount } timings { totalMs } } }';
  return upload(url, query, {}, { r: reference, p: probe });
}

const lfwPhoto = (name: string, n: number): Upload => {
  const file = `${name}_${String(n).padStart(4, '0')}.jpg`;
  return { name: file, bytes: readFileSync(path.join(lfwDir, 'images', name, file)), type: 'image/jpeg' };
};

/** LFW when present (two photos of one person; two people); else face-api's demo photos. */
export async function pairs(): Promise<{ source: string; genuine: [Upload, Upload]; impostor: [Upload, Upload] }> {
  if (existsSync(path.join(lfwDir, 'pairs.txt'))) {
    return {
      source: `LFW (${lfwDir})`,
      genuine: [lfwPhoto('Aaron_Peirsol', 1), lfwPhoto('Aaron_Peirsol', 2)],
      impostor: [lfwPhoto('Aaron_Peirsol', 1), lfwPhoto('Abel_Pacheco', 1)],
    };
  }
  // Without LFW: one demo photo against a brighter, re-encoded copy of itself (the same face, other
  // pixels: similarity 0.998 on the host), and the largest faces of two group photos (0.841).
  const demo = (n: number): Upload => ({
    name: `sample${n}.jpg`,
    bytes: readFileSync(path.join(repoRoot, `node_modules/@vladmandic/face-api/demo/sample${n}.jpg`)),
    type: 'image/jpeg',
  });
  const copy = await sharp(demo(3).bytes).modulate({ brightness: 1.1 }).jpeg({ quality: 85 }).toBuffer();
  return {
    source: 'face-api demo photos (LFW not found)',
    genuine: [demo(3), { name: 'sample3-brighter.jpg', bytes: copy, type: 'image/jpeg' }],
    impostor: [demo(4), demo(5)],
  };
}
