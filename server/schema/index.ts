/** Assembles the schema: importing each domain module registers its types and fields on the builder. */
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { packageRoot } from '../config.js';
import { lexicographicSortSchema, printSchema } from '../graphql.js';
import { builder } from '../builder.js';
import './common.js';
import './detect.js';
import './embed.js';
import './verify.js';
import './service.js';
import './live.js';
import './gallery.js';
import './challenge.js';

builder.mutationType({
  description: 'Inference on uploaded images (multipart requests). One inference field per operation.',
});

let schema: GraphQLSchema | undefined;

/** The executable schema (built once). */
export function toSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The schema's SDL: sorted, so that it diffs cleanly. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(toSchema()))}\n`;
}

/** Where the printed schema is committed. */
export const SCHEMA_FILE = path.join(packageRoot, 'schema.graphql');

/** The exact text of schema.graphql. */
export function schemaFileText(): string {
  return `# Generated from the Pothos schema (server/schema/) by \`npm run schema:print\`. Do not edit.\n\n${printSortedSchema()}`;
}

/** Root fields that run inference; at most one per operation (see yoga.ts). */
export const INFERENCE_FIELDS: ReadonlySet<string> = new Set(['detect', 'embed', 'verify', 'startLiveSession', 'enrollFaces', 'verifyFace', 'identifyFace']);
