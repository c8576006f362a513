/**
 * GraphQL multipart requests, read strictly. yoga's own parser writes every mapped file wherever its
 * path points (creating objects on the way) and lets a later file overwrite an earlier one; we refuse,
 * with BAD_REQUEST, what the multipart request spec does not describe:
 * - `operations` that is not one JSON object (no batches), a missing or malformed `map`;
 * - a map path that is not `variables.<name>...` or that does not point at a `null` placeholder in
 *   `operations` (so a file never lands inside another value, where its internals would be printed);
 * - a path that two map entries share (two files for one variable: which one would win?);
 * - a map entry without its file part, and a file part that no map entry names.
 * (A part name sent twice cannot be seen here: @whatwg-node's parser keeps the last part of a name.)
 */
import type { Plugin } from 'graphql-yoga';
import type { Context } from './builder.js';
import { GraphQLError } from './graphql.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

function isMultipart(request: Request): boolean {
  return request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonField(form: FormData, name: string): unknown {
  const raw = form.get(name);
  if (raw === null) throw badRequest(`Missing multipart form field "${name}"`);
  if (typeof raw !== 'string') throw badRequest(`Multipart form field "${name}" must be a string, not a file`);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw badRequest(`Multipart form field "${name}" must be valid JSON`);
  }
}

/** The container and key a map path points at, when it is a `null` placeholder in `operations`. */
function placeholder(operations: Record<string, unknown>, path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  const keys = path.split('.');
  if (keys.length < 2 || keys[0] !== 'variables' || keys.some((k) => k === '' || FORBIDDEN_KEYS.has(k))) {
    throw badRequest(`Multipart map path "${path}" must name a variable: variables.<name>`);
  }
  let parent: unknown = operations;
  for (let i = 0; i < keys.length - 1; i++) {
    parent = isPlainObject(parent) || Array.isArray(parent) ? (parent as Record<string, unknown>)[keys[i]!] : undefined;
  }
  const key = keys.at(-1)!;
  const container = isPlainObject(parent) || Array.isArray(parent) ? parent : undefined;
  if (!container || !Object.hasOwn(container, key) || (container as Record<string, unknown>)[key] !== null) {
    throw badRequest(`Multipart map path "${path}" does not point at a null placeholder in "operations"`);
  }
  return { parent: container, key };
}

/** Parses a multipart request into GraphQL params, or throws a BAD_REQUEST (413 for an oversized file). */
export async function parseMultipart(request: Request): Promise<Record<string, unknown>> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('File size limit exceeded: ')) {
      throw new GraphQLError(message, { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });
    }
    throw badRequest('POST body sent invalid multipart data');
  }
  const operations = parseJsonField(form, 'operations');
  if (!isPlainObject(operations)) throw badRequest('Multipart form field "operations" must be one JSON object (batches are off)');
  const map = parseJsonField(form, 'map');
  if (!isPlainObject(map)) throw badRequest('Multipart form field "map" must be a JSON object of file keys to paths');

  const seenPaths = new Map<string, string>();
  const assignments: { parent: Record<string, unknown> | unknown[]; key: string; file: File }[] = [];
  for (const [fileKey, paths] of Object.entries(map)) {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string')) {
      throw badRequest(`Multipart map entry "${fileKey}" must be a non-empty array of paths`);
    }
    const file = form.get(fileKey);
    if (file === null || typeof file === 'string') throw badRequest(`Multipart map entry "${fileKey}" has no file part`);
    for (const path of paths as string[]) {
      const earlier = seenPaths.get(path);
      if (earlier !== undefined) {
        throw badRequest(`Multipart map sends two files (${earlier} and ${fileKey}) to "${path}"; send one file per variable`);
      }
      seenPaths.set(path, fileKey);
      assignments.push({ ...placeholder(operations, path), file });
    }
  }
  for (const [name, value] of form.entries()) {
    if (name === 'operations' || name === 'map') continue;
    if (typeof value !== 'string' && !Object.hasOwn(map, name)) throw badRequest(`Multipart file part "${name}" is not in the map`);
  }
  for (const { parent, key, file } of assignments) (parent as Record<string, unknown>)[key] = file;
  return operations;
}

/** Replaces yoga's multipart parser with `parseMultipart`. */
export function useStrictMultipart(): Plugin<Context> {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (isMultipart(request)) setRequestParser(parseMultipart);
    },
  };
}
