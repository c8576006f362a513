/**
 * `npm run bench:challenge`: attack simulations against the live movement challenge, over the real
 * socket with the real models. For each drawn LFW person (seeded, with at least 4 photos), the reference
 * is their first photo, and four attacks each get a fresh challenge session, frames at 15 fps:
 *   still       the reference photo itself, byte-identical every frame
 *   perturbed   the same photo, every frame with new noise, a small shift and scale, and JPEG re-compression
 *   print       the photo as a print tilted back and forth (+-40 degrees about the vertical axis, +-20 about
 *               the horizontal, perspective) with noise and re-compression: a photo or phone turned in front of the camera
 *   slideshow   the person's different photos, 0.5 s each, perturbed
 * Every outcome is read back once by the backend query and compared with the pushed one. Reports how
 * many passed (the acceptance: none), the reasons, the frames analysed per second and the per-frame
 * latency with the challenge on, and the landmark net's time per frame (from /metrics).
 * Cooldowns are off for the run (FACEGATE_CHALLENGE_MAX_FAILURES=0): every attack comes from 127.0.0.1.
 *
 *   npm run bench:challenge -- [--people 100] [--attacks still,perturbed,print,slideshow] [--concurrency 2] [--out reports]
 */
import os from 'node:os';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { attack, type AttackResult } from './challenge/attack.js';
import { ATTACKS, attackFrames, type AttackKind } from './challenge/streams.js';
import { drawPeople } from './challenge/identities.js';
import { imagePath, lfwAvailable } from './lfw/protocol.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100' },
    attacks: { type: 'string', default: ATTACKS.join(',') },
    concurrency: { type: 'string', default: '2' },
    fps: { type: 'string', default: '15' },
    out: { type: 'string', default: 'reports' },
    seed: { type: 'string', default: '30107' },
    workers: { type: 'string' },
    /** Run with the `derived` thresholds of a bench:challenge-thresholds report instead of the built-in ones. */
    thresholds: { type: 'string' },
    /** The challenge's time limit for this run (default 45 s): a still picture cannot finish a step anyway. */
    'expiry-ms': { type: 'string', default: '20000' },
  },
});
const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw');
if (!lfwAvailable(lfwDir)) {
  console.error(`LFW not found at ${lfwDir} (set FACEGATE_LFW_DIR); the always-run subset is tests/server/live-challenge.test.ts`);
  process.exit(2);
}
const kinds = values.attacks!.split(',') as AttackKind[];
for (const k of kinds) if (!ATTACKS.includes(k)) throw new Error(`unknown attack ${k}; expected ${ATTACKS.join(', ')}`);
const fps = Number(values.fps);
const people = drawPeople(lfwDir, Number(values.people), 4, Number(values.seed));

const config = loadConfig({
  FACEGATE_HOST: '127.0.0.1',
  FACEGATE_PORT: '0',
  FACEGATE_CLIENT_DIR: 'none',
  FACEGATE_LIVE_MAX_SESSIONS: '64',
  FACEGATE_LIVE_MAX_SESSIONS_PER_CONNECTION: '4',
  FACEGATE_CHALLENGE_MAX_FAILURES: '0',
  ...(values.workers ? { FACEGATE_WORKERS: values.workers } : {}),
});
const server = await startServer(config, { logger: createLogger('warn') });
await server.ready;
if (values.thresholds) {
  const derived = (JSON.parse(readFileSync(values.thresholds, 'utf8')) as { derived: Record<string, number> }).derived;
  Object.assign(server.live.challenges.settings.thresholds, derived);
}
server.live.challenges.settings.expiryMs = Number(values['expiry-ms']);
const thresholdsUsed = { ...server.live.challenges.settings.thresholds };

interface Row {
  person: string;
  kind: AttackKind;
  result: AttackResult;
}
const rows: Row[] = [];
const jobs = people.flatMap((person) => kinds.map((kind) => ({ person, kind })));
mkdirSync(values.out!, { recursive: true });
writeFileSync(path.join(values.out!, 'bench-challenge.jsonl'), '');
const t0 = performance.now();
let next = 0;
async function worker(): Promise<void> {
  while (next < jobs.length) {
    const job = jobs[next++]!;
    const files = Array.from({ length: Math.min(job.person.count, 8) }, (_, i) => readFileSync(imagePath(lfwDir, { name: job.person.name, index: i + 1 })));
    const frames = await attackFrames(job.kind, files, fps, Number(values.seed) + next);
    const result = await attack(server.url, files[0]!.toString('base64'), frames, fps);
    rows.push({ person: job.person.name, kind: job.kind, result });
    // One line per session as it ends, so that a long run can be read while it goes.
    appendFileSync(
      path.join(values.out!, 'bench-challenge.jsonl'),
      `${JSON.stringify({ person: job.person.name, kind: job.kind, outcome: result.queried, pushed: result.pushed, again: result.queriedAgain, sent: result.sent, analysed: result.frames.length, seconds: result.seconds, leaked: result.frames.some((f) => f.similarity !== null || f.threshold !== null || f.match !== null) })}\n`,
    );
    if (rows.length % 20 === 0) console.error(`${rows.length}/${jobs.length} sessions, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
const wall = (performance.now() - t0) / 1000;

const metricsText = await (await fetch(`${server.url}/metrics`)).text();
const metric = (name: string) => Number(new RegExp(`^${name}\\{stage="landmarks"\\} ([0-9.e+-]+)$`, 'm').exec(metricsText)?.[1] ?? NaN);
const landmarkMs = (metric('facegate_stage_duration_seconds_sum') / metric('facegate_stage_duration_seconds_count')) * 1000;
await server.stop('bench done');

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! : Number.NaN;
};
const lines: string[] = [];
const say = (l = '') => lines.push(l);
say(`# bench:challenge: ${people.length} LFW people x ${kinds.length} attacks = ${rows.length} challenge sessions, ${fps} fps, seed ${values.seed}`);
say();
say(`machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores; ${config.pool.workers} workers, backend ${server.pool.info?.backend}; ${values.concurrency} sessions at a time; ${wall.toFixed(0)} s`);
say();
say(`thresholds: ${JSON.stringify(thresholdsUsed)}; challenge time limit ${values['expiry-ms']} ms`);
say();
say('| attack | sessions | CHALLENGE_PASSED | CHALLENGE_FAILED | INCONCLUSIVE | EXPIRED | reasons (first) | analysed frames/s per session p50 | latency p50 / p95 ms | backend read = pushed |');
say('| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
let passed = 0;
let mismatched = 0;
for (const kind of kinds) {
  const set = rows.filter((r) => r.kind === kind);
  const count = (result: string) => set.filter((r) => r.result.queried?.result === result).length;
  passed += count('CHALLENGE_PASSED');
  const reasons = new Map<string, number>();
  for (const r of set) {
    const first = r.result.queried?.reasons[0] ?? (r.result.queried ? '-' : 'NO OUTCOME');
    reasons.set(first, (reasons.get(first) ?? 0) + 1);
  }
  const consistent = set.filter(
    (r) => r.result.queried !== null && JSON.stringify(r.result.queried) === JSON.stringify(r.result.pushed) && r.result.queriedAgain === null,
  ).length;
  mismatched += set.length - consistent;
  const rates = set.map((r) => r.result.frames.length / r.result.seconds);
  const latencies = set.flatMap((r) => r.result.frames.map((f) => f.latencyMs));
  say(
    `| ${kind} | ${set.length} | ${count('CHALLENGE_PASSED')} | ${count('CHALLENGE_FAILED')} | ${count('INCONCLUSIVE')} | ${count('EXPIRED')} | ${[...reasons].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')} | ${q(rates, 0.5).toFixed(1)} | ${q(latencies, 0.5).toFixed(0)} / ${q(latencies, 0.95).toFixed(0)} | ${consistent}/${set.length} |`,
  );
}
const leaked = rows.filter((r) => r.result.frames.some((f) => f.similarity !== null || f.threshold !== null || f.match !== null)).length;
say();
say(`passed: ${passed} of ${rows.length}; outcomes where the backend read differed from the pushed one or could be read twice: ${mismatched}; sessions that pushed a score or threshold: ${leaked}`);
say(`landmark net in the worker: ${landmarkMs.toFixed(1)} ms per frame (mean, /metrics stage="landmarks")`);
const report = lines.join('\n');
console.log(report);
mkdirSync(values.out!, { recursive: true });
writeFileSync(path.join(values.out!, 'bench-challenge.md'), `${report}\n`);
writeFileSync(
  path.join(values.out!, 'bench-challenge.json'),
  JSON.stringify(rows.map((r) => ({ person: r.person, kind: r.kind, outcome: r.result.queried, pushed: r.result.pushed, sent: r.result.sent, analysed: r.result.frames.length, seconds: r.result.seconds })), null, 2),
);
process.exit(passed === 0 && mismatched === 0 && leaked === 0 ? 0 : 1);
