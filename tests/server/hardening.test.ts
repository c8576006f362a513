/**
 * Regression tests for issue 13 (a hostile test run against a real server): multipart mapping, error
 * messages that print no internals, signatures checked before decoding, WebSocket origin, live session
 * ownership, WebSocket frame-size errors in the log, slow sockets and connection caps, introspection,
 * GraphiQL from our own bundle and the security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app.js';
import { readSample } from '../support/fixtures.js';
import { EMBED, errorCodes, startTestServer, stopAll, type GqlResponse } from './helpers.js';

/** A multipart request with exactly the parts given: operations, map, then files by key. */
async function rawMultipart(
  url: string,
  operations: unknown,
  map: unknown,
  files: Record<string, Uint8Array>,
): Promise<GqlResponse<{ embed?: { faceCount: number } }>> {
  const form = new FormData();
  form.append('operations', JSON.stringify(operations));
  form.append('map', JSON.stringify(map));
  for (const [key, bytes] of Object.entries(files)) form.append(key, new Blob([bytes], { type: 'image/jpeg' }), `${key}.jpg`);
  const response = await fetch(`${url}/graphql`, { method: 'POST', body: form });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GqlResponse['body'], ms: 0 };
}

let server: RunningServer;
let url: string;

beforeAll(async () => {
  server = await startTestServer({ FACEGATE_WORKERS: '1' });
  url = server.url;
});
afterAll(stopAll);

describe('multipart uploads are mapped strictly (items 1, 2)', () => {
  const embedOps = { query: EMBED, variables: { image: null } };
  const photo = (): Uint8Array => readSample(2);

  it('refuses two files mapped to one variable (yoga would embed the second silently)', async () => {
    const response = await rawMultipart(url, embedOps, { 0: ['variables.image'], 1: ['variables.image'] }, { 0: photo(), 1: readSample(1) });
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['BAD_REQUEST']);
    expect(response.body.errors![0]!.message).toContain('two files');
    expect(response.body.data ?? null).toBeNull();
  });

  it('refuses map paths that do not point at a null placeholder, without printing the upload', async () => {
    const cases: [string, unknown, string[]][] = [
      ['a path below the variable', embedOps, ['variables.image.deep.x']],
      ['a path outside variables', embedOps, ['query']],
      ['a variable that operations does not have', embedOps, ['variables.other']],
      ['a prototype key', embedOps, ['variables.__proto__']],
    ];
    for (const [name, operations, paths] of cases) {
      const response = await rawMultipart(url, operations, { 0: paths }, { 0: photo() });
      expect(errorCodes(response), name).toEqual(['BAD_REQUEST']);
      expect(response.status, name).toBe(400);
      expect(JSON.stringify(response.body), name).not.toMatch(/blobParts|\[Array\]|\[Object\]|Symbol\(/);
    }
  });

  it('refuses a file part the map does not name, and a map entry without its file', async () => {
    const stray = await rawMultipart(url, embedOps, { 0: ['variables.image'] }, { 0: photo(), 1: photo() });
    expect(errorCodes(stray)).toEqual(['BAD_REQUEST']);
    expect(stray.body.errors![0]!.message).toContain('"1" is not in the map');
    const missing = await rawMultipart(url, embedOps, { 0: ['variables.image'] }, {});
    expect(errorCodes(missing)).toEqual(['BAD_REQUEST']);
  });

  it('never prints a File in a variable-coercion message, even when the placeholder is nested', async () => {
    // A well-formed map into a nested null: the spec allows it, the File then sits inside an object.
    const operations = { query: EMBED, variables: { image: { deep: { x: null } } } };
    const response = await rawMultipart(url, operations, { 0: ['variables.image.deep.x'] }, { 0: photo() });
    expect(errorCodes(response)).toEqual(['BAD_REQUEST']);
    const message = response.body.errors![0]!.message;
    expect(message).toMatch(/^Variable "\$image" of type "File!" got an invalid value/);
    expect(JSON.stringify(response.body)).not.toMatch(/blobParts|image\/jpeg|\[Array\]|\[Object\]/);
  });

  it('still embeds a well-formed request, and one file mapped to one variable', async () => {
    const response = await rawMultipart(url, embedOps, { 0: ['variables.image'] }, { 0: photo() });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.embed!.faceCount).toBe(2);
  });
});

describe('image signatures are checked before any decoder (item 4)', () => {
  it('answers UNSUPPORTED_FORMAT for an SVG (the issue\'s payload) and a PDF', async () => {
    const ops = { query: EMBED, variables: { image: null } };
    for (const text of ['<svg xmlns="http://www.w3.org/2000/svg"/>', '%PDF-1.7\n%%EOF\n']) {
      const response = await rawMultipart(url, ops, { 0: ['variables.image'] }, { 0: Buffer.from(text) });
      expect(errorCodes(response), text).toEqual(['UNSUPPORTED_FORMAT']);
      expect(response.body.errors![0]!.message).not.toMatch(/rsvg|poppler|vips/i);
    }
  });
});
