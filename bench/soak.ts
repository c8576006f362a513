/**
 * `npm run bench:soak`: memory soak of `embed` against a real server.
 *
 * Starts the server (server/main.ts, its defaults) as a child process on 127.0.0.1 and sends N
 * sequential `embed` requests over a fixed set of images (100 LFW images, or face-api's demo photos
 * when LFW is absent). Every `--every` requests it records the server's RSS, and where that memory
 * lives from /proc/PID/smaps: glibc's malloc arenas (the main `[heap]` and the 64 MiB-aligned thread
 * arenas), WebAssembly memories (the workers' wasm heaps: multi-GiB reservations), and the rest.
 * RSS is also sampled every `--sample` requests (100): the V8 heaps of the main thread and the workers
 * saw-tooth by tens of MiB between collections, so the verdict is the least-squares slope fitted to all
 * those samples after warm-up, in MiB per 1,000 requests (each row shows its window's min and max).
 *
 *   npm run bench:soak -- [--requests 10000] [--every 1000] [--sample 100] [--warmup 2000] [--images 100]
 *                         [--max-slope 2] [--workers N] [--out reports]
 *
 * The server gets MALLOC_ARENA_MAX=2 unless the environment sets it, as `npm start` does (see the
 * README's "Memory" section); `MALLOC_ARENA_MAX=` (empty) runs it with glibc's default (8 per core) to compare.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServerProcess, stopServerProcess } from './server-process.js';
import { encodeForm, graphqlForm } from './graphql-form.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? path.join(repoRoot, '../shared/data/lfw'));
const MiB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    every: { type: 'string', default: '1000' },
    sample: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '2000' },
    images: { type: 'string', default: '100' },
    'max-slope': { type: 'string', default: '2' },
    workers: { type: 'string' },
    out: { type: 'string', default: 'reports' },
  },
});
const total = Number(values.requests);
const every = Number(values.every);
const sampleEvery = Number(values.sample);
const warmup = Number(values.warmup);
const imageCount = Number(values.images);
const maxSlope = Number(values['max-slope']);
for (const [name, n] of Object.entries({ requests: total, every, sample: sampleEvery, images: imageCount })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
}
if (!Number.isInteger(warmup) || warmup < 0 || warmup >= total) throw new Error('--warmup must be in [0, requests)');

// ---- images ------------------------------------------------------------------------------------------
/** The first `count` images of LFW in name order (one per person first, so faces vary), else the demo photos. */
function pickImages(count: number): { source: string; files: string[] } {
  const imagesDir = path.join(lfwDir, 'images');
  if (existsSync(imagesDir)) {
    const people = readdirSync(imagesDir).sort();
    const files: string[] = [];
    for (let round = 0; files.length < count && round < 50; round++) {
      for (const person of people) {
        if (files.length >= count) break;
        const file = path.join(imagesDir, person, `${person}_${String(round + 1).padStart(4, '0')}.jpg`);
        if (existsSync(file)) files.push(file);
      }
    }
    return { source: `LFW (${lfwDir})`, files };
  }
  const demo = path.join(repoRoot, 'node_modules/@vladmandic/face-api/demo');
  const files = [1, 2, 3, 4, 5, 6].map((n) => path.join(demo, `sample${n}.jpg`));
  return { source: "face-api's demo photos (LFW absent)", files };
}

const EMBED = 'mutation($image: File!) { embed(image: $image) { faceCount dimensions } }';

function embedBody(file: string): Promise<{ body: Buffer<ArrayBuffer>; contentType: string }> {
  return encodeForm(graphqlForm(EMBED, {}, { image: { bytes: readFileSync(file), name: path.basename(file) } }));
}


// ---- memory ------------------------------------------------------------------------------------------
interface Memory {
  rss: number;
  /** RSS of malloc's main arena (`[heap]`) and of mappings shaped like glibc thread arenas (64 MiB reserved). */
  mallocArenas: number;
  arenaCount: number;
  /** RSS of WebAssembly memories (anonymous reservations of 4 GiB or more). */
  wasm: number;
  other: number;
}

/**
 * Where the process's resident memory lives, by mapping (Linux /proc/PID/smaps):
 * - a glibc thread arena is 64 MiB reserved at a 64 MiB boundary, in two mappings (the used rw-p part,
 *   the reserved ---p rest); the main arena is `[heap]`;
 * - a WebAssembly memory is its committed rw-p part followed at once by V8's guard reservation (~10 GiB ---p).
 */
function memoryOf(pid: number): Memory {
  interface Mapping {
    start: number;
    end: number;
    perms: string;
    name: string;
    rss: number;
  }
  const mappings: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      mappings.push({ start: parseInt(header[1]!, 16), end: parseInt(header[2]!, 16), perms: header[3]!, name: header[4]!.trim(), rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && mappings.length > 0) mappings.at(-1)!.rss = Number(rss[1]) * 1024;
  }
  const out: Memory = { rss: 0, mallocArenas: 0, arenaCount: 0, wasm: 0, other: 0 };
  mappings.forEach((m, i) => {
    out.rss += m.rss;
    const next = mappings[i + 1];
    const anonymous = m.name === '';
    const nextAdjacentAnonymous = next !== undefined && next.start === m.end && next.name === '' && next.perms.startsWith('---');
    if (m.name === '[heap]') {
      out.mallocArenas += m.rss;
    } else if (anonymous && m.start % (64 * MiB) === 0 && (nextAdjacentAnonymous ? next.end : m.end) - m.start === 64 * MiB) {
      out.mallocArenas += m.rss;
      out.arenaCount++;
    } else if (anonymous && m.perms.startsWith('rw') && nextAdjacentAnonymous && next.end - next.start >= 4 * 1024 * MiB) {
      out.wasm += m.rss;
    } else {
      out.other += m.rss;
    }
  });
  return out;
}

/** VmRSS of a process, bytes (cheap: /proc/PID/status). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb ? Number(kb[1]) * 1024 : NaN;
}

// ---- run ---------------------------------------------------------------------------------------------
interface Checkpoint extends Memory {
  requests: number;
  /** Smallest and largest RSS sampled since the previous checkpoint. */
  windowMin: number;
  windowMax: number;
  /** The main thread's V8 heap (committed) and external memory, from /metrics: part of `other`. */
  mainHeap: number;
  mainExternal: number;
  seconds: number;
  msPerRequest: number;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

async function main(): Promise<void> {
  const { source, files } = pickImages(imageCount);
  const bodies = await Promise.all(files.map(embedBody));
  const { child, url } = await startServerProcess(
    {
      ...(process.env.MALLOC_ARENA_MAX === undefined ? { MALLOC_ARENA_MAX: '2' } : {}),
      ...(values.workers ? { FACEGATE_WORKERS: values.workers } : {}),
    },
    180_000,
  );
  const pid = child.pid!;
  const checkpoints: Checkpoint[] = [];
  const samples: { requests: number; rss: number }[] = [];
  let windowStart = 0;
  const started = performance.now();
  let lastAt = started;
  let failures = 0;
  let noFace = 0;
  const env = [
    `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}`,
    ...['FACEGATE_WORKERS', 'UV_THREADPOOL_SIZE', 'VIPS_CONCURRENCY'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`),
  ];
  process.stdout.write(
    `bench:soak: ${total} sequential embed requests over ${files.length} images from ${source}\n` +
      `server pid ${pid}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}` +
      `${env.length ? `, ${env.join(' ')}` : ''}\n\n` +
      `requests   RSS MiB   window min-max   malloc MiB (arenas)   wasm MiB   other MiB   (main heap)   ms/request\n`,
  );
  const record = async (requests: number): Promise<void> => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const gauge = (name: string): number => Number(/^(\S+) (\S+)$/.exec(metrics.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? NaN);
    const now = performance.now();
    const memory = memoryOf(pid);
    const previous = checkpoints.at(-1)?.requests ?? 0;
    const window = samples.slice(windowStart).map((x) => x.rss).concat(memory.rss);
    windowStart = samples.length;
    const point: Checkpoint = {
      requests,
      seconds: (now - started) / 1000,
      msPerRequest: requests === previous ? 0 : (now - lastAt) / (requests - previous),
      windowMin: Math.min(...window),
      windowMax: Math.max(...window),
      mainHeap: gauge('facegate_nodejs_heap_size_total_bytes'),
      mainExternal: gauge('facegate_nodejs_external_memory_bytes'),
      ...memory,
    };
    lastAt = now;
    checkpoints.push(point);
    process.stdout.write(
      `${String(requests).padStart(8)}   ${mib(point.rss).padStart(7)}   ${`${mib(point.windowMin)}-${mib(point.windowMax)}`.padStart(14)}   ${mib(point.mallocArenas).padStart(10)} (${String(point.arenaCount).padStart(2)})` +
        `        ${mib(point.wasm).padStart(8)}   ${mib(point.other).padStart(9)}   ${mib(point.mainHeap).padStart(13)}   ${point.msPerRequest.toFixed(1).padStart(10)}\n`,
    );
  };
  try {
    samples.push({ requests: 0, rss: rssOf(pid) });
    await record(0);
    for (let i = 1; i <= total; i++) {
      const { body, contentType } = bodies[(i - 1) % bodies.length]!;
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body });
      const json = (await response.json()) as { data?: { embed?: unknown }; errors?: { extensions?: { code?: string } }[] };
      if (json.errors?.[0]?.extensions?.code === 'NO_FACE') noFace++;
      else if (!json.data?.embed) failures++;
      if (i % sampleEvery === 0) samples.push({ requests: i, rss: rssOf(pid) });
      if (i % every === 0 || i === total) await record(i);
    }
  } finally {
    await stopServerProcess(child);
  }

  const after = checkpoints.filter((c) => c.requests >= warmup);
  const perThousand = (pick: (c: Checkpoint) => number): number =>
    (slope(after.map((c) => c.requests), after.map((c) => pick(c) / MiB)) * 1000);
  const sampled = samples.filter((x) => x.requests >= warmup);
  const rssSlope = slope(sampled.map((x) => x.requests), sampled.map((x) => x.rss / MiB)) * 1000;
  const ok = rssSlope <= maxSlope && failures === 0;
  const summary = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${mib(os.totalmem())} MiB`,
    node: process.version,
    environment: env,
    images: { source, count: files.length },
    requests: total,
    warmup,
    failures,
    noFace,
    slopeMiBPer1000: {
      rss: rssSlope,
      rssAtCheckpoints: perThousand((c) => c.rss),
      mallocArenas: perThousand((c) => c.mallocArenas),
      wasm: perThousand((c) => c.wasm),
      other: perThousand((c) => c.other),
    },
    maxSlopeMiBPer1000: maxSlope,
    pass: ok,
    checkpoints,
    samples,
  };
  mkdirSync(path.resolve(repoRoot, values.out), { recursive: true });
  writeFileSync(path.resolve(repoRoot, values.out, 'bench-soak.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `\nfailures: ${failures} (NO_FACE: ${noFace})\n` +
      `RSS slope after ${warmup} requests (${sampled.length} samples, one per ${sampleEvery} requests): ${rssSlope.toFixed(2)} MiB per 1,000 requests\n` +
      `at the checkpoints: RSS ${summary.slopeMiBPer1000.rssAtCheckpoints.toFixed(2)} (malloc ${summary.slopeMiBPer1000.mallocArenas.toFixed(2)}, wasm ${summary.slopeMiBPer1000.wasm.toFixed(2)}, other ${summary.slopeMiBPer1000.other.toFixed(2)}); ` +
      `target <= ${maxSlope}: ${ok ? 'PASS' : 'FAIL'}\n` +
      `RSS ${mib(checkpoints[0]!.rss)} MiB at start, ${mib(after[0]!.rss)} MiB after warm-up, ${mib(checkpoints.at(-1)!.rss)} MiB at the end\n`,
  );
  if (!ok) process.exitCode = 1;
}

await main();
