/** GraphQL documents and an authenticated multipart client for the gallery suites, and face crops made from sample photos. */
import sharp from 'sharp';
import { graphqlForm, type FilePart } from '../../bench/graphql-form.js';
import type { GqlResponse } from './helpers.js';
import { readSample } from '../support/fixtures.js';

export type Part = FilePart;

/**
 * A GraphQL request with a key; `files` maps a variable (or `images.0`-style path) to an upload;
 * `extraHeaders` go with it (e.g. a replica's routing key).
 */
export async function call<T = Record<string, unknown>>(
  url: string,
  key: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  files: Record<string, Part> = {},
  extraHeaders: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const started = performance.now();
  const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extraHeaders };
  let response: Response;
  const paths = Object.keys(files);
  if (paths.length === 0) {
    response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });
  } else {
    response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: graphqlForm(query, variables, files) });
  }
  const text = await response.text();
  let body: GqlResponse<T>['body'];
  try {
    body = JSON.parse(text) as GqlResponse<T>['body'];
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 300)}`);
  }
  return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
}

export function images(parts: Part[]): Record<string, Part> {
  return Object.fromEntries(parts.map((p, i) => [`images.${i}`, p]));
}

export function codeOf(response: GqlResponse): string | undefined {
  return response.body.errors?.[0]?.extensions?.code;
}

export const CREATE_GALLERY = /* GraphQL */ `
  mutation CreateGallery($input: GalleryInput!) {
    createGallery(input: $input) { id name storeImages matchPolicy { verifyThreshold identifyThreshold minMargin duplicateThreshold } qualityPolicy { minFaceSize maxTemplatesPerSubject } }
  }`;
export const CREATE_SUBJECT = /* GraphQL */ `
  mutation CreateSubject($galleryId: ID!, $input: SubjectInput!) {
    createSubject(galleryId: $galleryId, input: $input) { id externalId displayName metadata galleryId }
  }`;
export const ENROLL = /* GraphQL */ `
  mutation Enroll($subjectId: ID!, $images: [File!]!) {
    enrollFaces(subjectId: $subjectId, images: $images) {
      subject { id templateCount }
      enrolled { index filename template { id model modelVersion hasImage quality { faceSize detectorScore sharpness yaw pitch } } }
      rejected { index filename reason message qualityIssues { check value limit } conflictingSubject { id } similarity }
    }
  }`;
export const IDENTIFY = /* GraphQL */ `
  mutation Identify($galleryId: ID!, $probe: File!, $topK: Int) {
    identifyFace(galleryId: $galleryId, probe: $probe, topK: $topK) {
      decision subject { id externalId } candidates { rank similarity subject { id externalId } } threshold minMargin margin method subjectsSearched templatesSearched probe { faceCount }
    }
  }`;
export const VERIFY_FACE = /* GraphQL */ `
  mutation VerifyFace($subjectId: ID!, $probe: File!) {
    verifyFace(subjectId: $subjectId, probe: $probe) { similarity meanSimilarity threshold match templatesCompared subject { id } }
  }`;
export const DELETE_SUBJECT = /* GraphQL */ `
  mutation DeleteSubject($id: ID!) { deleteSubject(id: $id) { subjectId externalId templatesErased imagesErased } }`;
export const CREATE_KEY = /* GraphQL */ `
  mutation CreateKey($input: ApiKeyInput!) { createApiKey(input: $input) { key apiKey { id prefix grants { galleryId scopes } } } }`;
export const GALLERY = /* GraphQL */ `
  query Gallery($id: ID!, $first: Int, $after: String) {
    gallery(id: $id) { id name subjectCount templateCount indexedTemplates subjects(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id externalId templateCount } } } }
  }`;

/**
 * Faces of different people, one per image: the faces of one group photo (sample5.jpg, five people),
 * each cropped with a margin and scaled to 240 px high. Boxes come from the server's own detect.
 */
export async function faceCrops(detect: (bytes: Uint8Array) => Promise<{ box: { x: number; y: number; width: number; height: number } }[]>): Promise<Buffer[]> {
  const photo = readSample(5);
  const faces = await detect(photo);
  const meta = await sharp(photo).metadata();
  const crops: Buffer[] = [];
  for (const face of faces) {
    const side = Math.max(face.box.width, face.box.height) * 1.9;
    const cx = face.box.x + face.box.width / 2;
    const cy = face.box.y + face.box.height / 2;
    const left = Math.max(0, Math.round(cx - side / 2));
    const top = Math.max(0, Math.round(cy - side / 2));
    const width = Math.min(meta.width! - left, Math.round(side));
    const height = Math.min(meta.height! - top, Math.round(side));
    crops.push(await sharp(photo).extract({ left, top, width, height }).resize({ height: 240 }).jpeg({ quality: 92 }).toBuffer());
  }
  return crops;
}

/** Another capture of the same face: smaller, a little brighter, re-encoded. */
export async function variant(crop: Buffer): Promise<Buffer> {
  return sharp(crop).resize({ height: 200 }).modulate({ brightness: 1.08 }).jpeg({ quality: 80 }).toBuffer();
}
