// Worker entry shim: lets a worker thread run a TypeScript module when the evaluation runs from source
// (tsx or vitest). Node 20 does not pass tsx's loader to worker threads, so the worker registers it here.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
