/**
 * The gallery's GraphQL API, called in-process (`yoga.fetch`: the same schema, plugins, resolvers and
 * services as over HTTP, without the socket) for the gallery benchmarks and evaluations.
 */
import type { FacegateYoga } from '../../server/yoga.js';
import { graphqlForm } from '../graphql-form.js';

export interface GqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export class GalleryApi {
  constructor(
    private readonly yoga: FacegateYoga,
    private readonly key: string,
  ) {}

  /** `files` maps a variable path (`probe`, `images.0`) to bytes; sent as a multipart request when present. */
  async call<T>(query: string, variables: Record<string, unknown> = {}, files: Record<string, Uint8Array> = {}): Promise<GqlResult<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    const paths = Object.keys(files);
    let body: BodyInit;
    if (paths.length === 0) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ query, variables });
    } else {
      body = graphqlForm(query, variables, files);
    }
    const response = await this.yoga.fetch('http://localhost/graphql', { method: 'POST', headers, body });
    return (await response.json()) as GqlResult<T>;
  }

  /** Like `call`, but throws on any error. */
  async must<T>(query: string, variables: Record<string, unknown> = {}, files: Record<string, Uint8Array> = {}): Promise<T> {
    const result = await this.call<T>(query, variables, files);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL error: ${JSON.stringify(result.errors)}`);
    return result.data;
  }
}

export const CREATE_GALLERY = `mutation($input: GalleryInput!) { createGallery(input: $input) { id matchPolicy { identifyThreshold minMargin verifyThreshold } } }`;
export const CREATE_SUBJECT = `mutation($g: ID!, $input: SubjectInput!) { createSubject(galleryId: $g, input: $input) { id } }`;
export const ENROLL = `mutation($s: ID!, $images: [File!]!) { enrollFaces(subjectId: $s, images: $images) { enrolled { index } rejected { index reason } } }`;
export const IDENTIFY = `mutation($g: ID!, $probe: File!, $k: Int) { identifyFace(galleryId: $g, probe: $probe, topK: $k) { decision subject { id } candidates { similarity subject { id } } margin } }`;

/** Runs `fn` over `items` with at most `concurrency` at once (keeps the pool busy without overflowing its queue). */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
