/**
 * `npm run bench:http`: HTTP load test of `verify` with two LFW images.
 *
 * Starts the server (server/main.ts with its defaults: one worker per core) as a child process on
 * 127.0.0.1, warms it up, then drives it with autocannon at concurrency 1, 4 and 16, a fixed number of
 * requests each. Reports requests/s, p50/p95/p99 latency, errors (HTTP and GraphQL) and the server's RSS
 * after warm-up and at the end; checks the targets of issue 4; writes reports/bench-http.{md,json}.
 *
 *   npm run bench:http -- [--requests 100,200,200] [--warmup 100] [--workers N] [--out reports]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServerProcess, stopServerProcess } from './server-process.js';
import { encodeForm, graphqlForm, type FilePart } from './graphql-form.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? path.join(repoRoot, '../shared/data/lfw'));

// ---- autocannon (it ships no types: the part used here) ------------------------------------------------
interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTime: number) => void): void;
}
type Autocannon = (
  options: { url: string; connections: number; amount: number; timeout: number; requests: AutocannonRequest[] },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---- arguments ---------------------------------------------------------------------------------------
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100,200,200' },
    warmup: { type: 'string', default: '100' },
    workers: { type: 'string' },
    out: { type: 'string', default: 'reports' },
  },
});
const CONCURRENCY = [1, 4, 16] as const;
const perLevel = values.requests.split(',').map(Number);
if (perLevel.length !== CONCURRENCY.length || perLevel.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error('--requests takes three positive integers: requests at concurrency 1, 4 and 16');
}
const warmup = Number(values.warmup);


async function scrape(url: string, metric: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  if (!line) throw new Error(`${metric} missing from /metrics`);
  return Number(line.split(' ')[1]);
}

/** Seconds the workers have spent in the networks so far (detect + align + embed), from /metrics. */
async function workerSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const stage of ['detect', 'align', 'embed']) {
    const line = text.split('\n').find((l) => l.startsWith(`facegate_stage_duration_seconds_sum{stage="${stage}"}`));
    if (line) total += Number(line.split(' ')[1]);
  }
  return total;
}

// ---- the request -------------------------------------------------------------------------------------
/** The first genuine pair of LFW's pairs.txt. */
function genuinePair(): [string, string] {
  const pairs = path.join(lfwDir, 'pairs.txt');
  if (!existsSync(pairs)) throw new Error(`LFW not found at ${lfwDir} (set FACEGATE_LFW_DIR)`);
  const lines = readFileSync(pairs, 'utf8').split('\n');
  const fields = lines.slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f.length === 3);
  if (!fields) throw new Error('no genuine pair in pairs.txt');
  const [name, a, b] = fields as [string, string, string];
  const file = (i: string): string => path.join(lfwDir, 'images', name, `${name}_${i.padStart(4, '0')}.jpg`);
  return [file(a), file(b)];
}

const VERIFY = 'mutation($reference: File!, $probe: File!) { verify(reference: $reference, probe: $probe) { similarity match threshold reference { faceCount } probe { faceCount } timings { totalMs } } }';

function verifyBody(reference: string, probe: string): Promise<{ body: Buffer; contentType: string }> {
  const part = (file: string): FilePart => ({ bytes: readFileSync(file), name: path.basename(file) });
  return encodeForm(graphqlForm(VERIFY, {}, { reference: part(reference), probe: part(probe) }));
}

// ---- a run -------------------------------------------------------------------------------------------
interface Level {
  concurrency: number;
  /** Server RSS at the end of this level, bytes. */
  rss: number;
  /** Workers busy on average: worker-seconds of inference per second of wall time. */
  busyWorkers: number;
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

async function run(url: string, request: { body: Buffer; contentType: string }, connections: number, amount: number): Promise<Level> {
  const latencies: number[] = [];
  let badResponses = 0;
  const busyBefore = await workerSeconds(url);
  const started = performance.now();
  // autocannon reports completion on its one-second ticker, so its end would round the run up to a whole
  // second (200 requests in 8.1 s read as 9 s, 22.2 req/s); the last response's arrival is the end
  let lastResponse = started;
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        amount,
        timeout: 60,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            headers: { 'content-type': request.contentType, accept: 'application/graphql-response+json' },
            body: request.body,
            onResponse: (status, body) => {
              if (status !== 200 || body.includes('"errors"') || !body.includes('"match":true')) badResponses++;
            },
          },
        ],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      lastResponse = performance.now();
    });
  });
  const seconds = (lastResponse - started) / 1000;
  const busy = (await workerSeconds(url)) - busyBefore;
  const rss = await scrape(url, 'facegate_process_resident_memory_bytes');
  latencies.sort((a, b) => a - b);
  return {
    concurrency: connections,
    rss,
    busyWorkers: busy / seconds,
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    // Connection errors and timeouts, plus responses that are not a 200 with a match (non-2xx included).
    errors: result.errors + result.timeouts + badResponses,
  };
}

// ---- main --------------------------------------------------------------------------------------------
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function main(): Promise<void> {
  const [reference, probe] = genuinePair();
  const request = await verifyBody(reference, probe);
  const loadBefore = os.loadavg();
  const { child, url } = await startServerProcess(
    {
      ...(values.workers ? { FACEGATE_WORKERS: values.workers } : {}),
    },
    120_000,
  );
  try {
    const info = (await (
      await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ info { version backend workers model { name } defaultThreshold } }' }),
      })
    ).json()) as { data: { info: { version: string; backend: string; workers: number; model: { name: string }; defaultThreshold: number } } };
    const serverInfo = info.data.info;
    process.stdout.write(
      `server ${url}: ${serverInfo.workers} workers, backend ${serverInfo.backend}, model ${serverInfo.model.name}\n` +
        `pair: ${path.basename(reference)} / ${path.basename(probe)}\n`,
    );

    // Warm-up at the highest concurrency: JIT, V8 heap sizing and the workers' wasm heaps reach their
    // high-water marks here, so RSS growth afterwards would be a leak rather than warm-up.
    const warm = await run(url, request, 16, warmup);
    if (warm.errors > 0) throw new Error(`${warm.errors} errors during warm-up: is the pair a match at the default threshold?`);
    const rssBefore = await scrape(url, 'facegate_process_resident_memory_bytes');
    const levels: Level[] = [];
    for (const [i, concurrency] of CONCURRENCY.entries()) {
      const level = await run(url, request, concurrency, perLevel[i]!);
      levels.push(level);
      process.stdout.write(
        `  c=${concurrency}: ${level.requests} requests, ${fmt(level.rps, 1)} req/s, p50 ${fmt(level.p50)} ms, ${fmt(level.busyWorkers, 2)} workers busy\n`,
      );
    }
    const rssAfter = await scrape(url, 'facegate_process_resident_memory_bytes');
    const total = levels.reduce((s, l) => s + l.requests, 0);
    const growth = (rssAfter - rssBefore) / rssBefore;
    const c1 = levels[0]!;
    const c4 = levels[1]!;
    const checks = [
      { target: 'c=1 p50 <= 250 ms', ok: c1.p50 <= 250, value: `${fmt(c1.p50)} ms` },
      { target: 'c=4 throughput >= 1.6x c=1', ok: c4.rps >= 1.6 * c1.rps, value: `${fmt(c4.rps / c1.rps, 2)}x` },
      {
        target: `c=4 keeps the workers busy (>= 90% of ${serverInfo.workers})`,
        ok: c4.busyWorkers >= 0.9 * serverInfo.workers,
        value: `${fmt(c4.busyWorkers, 2)} of ${serverInfo.workers}`,
      },
      { target: 'no errors', ok: levels.every((l) => l.errors === 0), value: String(levels.reduce((s, l) => s + l.errors, 0)) },
      { target: `RSS growth < 10% over ${total} requests after warm-up`, ok: growth < 0.1, value: `${fmt(growth * 100, 1)}%` },
    ];

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const lines = [
      `# bench:http: verify of two LFW images over HTTP`,
      '',
      `${new Date().toISOString()}; ${cpu}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; ` +
        `backend ${serverInfo.backend}, ${serverInfo.workers} workers; load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
      `Pair: ${path.basename(reference)} / ${path.basename(probe)} (LFW, 250x250). Warm-up ${warmup} requests at c=16, not counted.`,
      '',
      '| concurrency | requests | req/s | p50 ms | p95 ms | p99 ms | errors | workers busy | RSS after, MiB |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...levels.map(
        (l) =>
          `| ${l.concurrency} | ${l.requests} | ${fmt(l.rps, 1)} | ${fmt(l.p50)} | ${fmt(l.p95)} | ${fmt(l.p99)} | ${l.errors} | ${fmt(l.busyWorkers, 2)} of ${serverInfo.workers} | ${fmt(l.rss / 2 ** 20)} |`,
      ),
      '',
      '"Workers busy": seconds the workers spent in detect + align + embed per second of wall time (wall time inside the',
      'worker: when other processes compete for the cores, it includes time spent waiting for one).',
      'A verify runs its two images on two workers at once when both are free, so concurrency 1 already keeps more than one worker busy.',
      '',
      `Server RSS: ${fmt(rssBefore / 2 ** 20)} MiB after warm-up, ${fmt(rssAfter / 2 ** 20)} MiB after ${total} more requests (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%).`,
      '',
      '| target | measured | |',
      '| --- | ---: | --- |',
      ...checks.map((c) => `| ${c.target} | ${c.value} | ${c.ok ? 'met' : 'NOT MET'} |`),
      '',
    ];
    const markdown = lines.join('\n');
    process.stdout.write(`\n${markdown}`);
    const outDir = path.resolve(repoRoot, values.out);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'bench-http.md'), markdown);
    writeFileSync(
      path.join(outDir, 'bench-http.json'),
      `${JSON.stringify({ date: new Date().toISOString(), cpu, cores: os.cpus().length, node: process.version, loadBefore, server: serverInfo, warmup, levels, rssBefore, rssAfter, checks }, null, 2)}\n`,
    );
    process.stdout.write(`wrote ${path.relative(repoRoot, path.join(outDir, 'bench-http.md'))} and bench-http.json\n`);
    if (!checks.every((c) => c.ok)) process.exitCode = 1;
  } finally {
    await stopServerProcess(child);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:http: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
