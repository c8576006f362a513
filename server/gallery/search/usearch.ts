/**
 * usearch (N-API, prebuilt binaries inside its npm package: nothing compiled or downloaded at install):
 * the HNSW graph (ann.ts) and the SIMD exact scan (exact.ts).
 */
import { createRequire } from 'node:module';
import type usearchModule from 'usearch';

// usearch's ESM entry finds its binary from a stack trace, which fails under plain Node ESM (it recurses
// on a file: URL); its CommonJS entry uses __dirname and works everywhere.
export const usearch = createRequire(import.meta.url)('usearch') as typeof usearchModule;
