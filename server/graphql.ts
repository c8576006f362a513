/**
 * graphql-js for the server's own code, as ONE instance with the one yoga, Pothos and graphql-ws use.
 *
 * graphql 16 ships a CommonJS build (`main`) and an ES build (`module`). Node, and so every dependency,
 * loads the CommonJS one; Vite-based tools (vitest) resolve `module` for our sources. Two instances mean
 * two `GraphQLError` classes (yoga stops recognising our errors) and graphql's "another module or realm"
 * error on schemas. Taking graphql through `require` pins ours to the instance everything else uses.
 */
import { createRequire } from 'node:module';

const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export const { Kind, getOperationAST, lexicographicSortSchema, print, printSchema } = graphql;
export const GraphQLError = graphql.GraphQLError;
export type GraphQLError = import('graphql').GraphQLError;
