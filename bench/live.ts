/**
 * `npm run bench:live`: simulated webcam clients against a server on 127.0.0.1. Each client opens a live
 * session over graphql-ws, then sends 640x480 JPEG frames (LFW images of the reference person padded to
 * 640x480; without LFW, a sample photo scaled into the frame) at a fixed rate for a fixed time.
 * Reports processed frames per second, per-frame latency (arrival to result) p50/p95, and drops.
 * `--challenge`: sessions run the movement challenge (68 landmarks per frame, frames queued, not dropped);
 * the frames are then one photo of the person filmed as a still (new noise, shift and scale each frame),
 * and a client stops when its challenge ends (it fails: nobody turns or blinks), so rates are per client.
 *
 *   [FACEGATE_BACKEND=wasm] npm run bench:live -- [--clients 1] [--fps 15] [--seconds 20] [--workers N] [--challenge]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { startServer } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { once, START_LIVE, SUBMIT, subscribeLive, wsClient } from '../tests/server/live-client.js';
import { fromJpeg, perturbedStill, seededRandom, toJpeg } from './challenge/frames.js';

const START_CHALLENGE = /* GraphQL */ `mutation Start($ref: String!) { startLiveSession(referenceBase64: $ref, challenge: true) { id } }`;

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1' },
    fps: { type: 'string', default: '15' },
    seconds: { type: 'string', default: '20' },
    workers: { type: 'string' },
    challenge: { type: 'boolean', default: false },
  },
});
const challenge = values.challenge === true;
const clients = Number(values.clients);
const fps = Number(values.fps);
const seconds = Number(values.seconds);
const lfwDir = path.resolve(process.env.FACEGATE_LFW_DIR ?? '../shared/data/lfw');
const hasLfw = existsSync(path.join(lfwDir, 'pairs.txt'));

async function frameOf(file: string): Promise<string> {
  return frameOfBytes(readFileSync(file));
}

async function frameOfBytes(bytes: Buffer): Promise<string> {
  const img = sharp(bytes).resize(hasLfw ? 250 : 480, hasLfw ? 250 : 360, { fit: 'inside' });
  const { width, height } = await img.clone().toBuffer({ resolveWithObject: true }).then((r) => r.info);
  const left = Math.floor((640 - width) / 2);
  const top = Math.floor((480 - height) / 2);
  const jpeg = await img
    .extend({ left, top, right: 640 - width - left, bottom: 480 - height - top, background: { r: 30, g: 30, b: 30 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  return jpeg.toString('base64');
}

const person = 'George_W_Bush';
const files = hasLfw
  ? Array.from({ length: 12 }, (_, i) => path.join(lfwDir, 'images', person, `${person}_${String(i + 2).padStart(4, '0')}.jpg`))
  : [path.resolve('node_modules/@vladmandic/face-api/demo/sample2.jpg')];
const reference = readFileSync(hasLfw ? path.join(lfwDir, 'images', person, `${person}_0001.jpg`) : files[0]!).toString('base64');
const frames = challenge ? await filmedStill(files[0]!) : await Promise.all(files.map(frameOf));

/** 15 s of a camera filming one still photo, padded to 640x480 like the other frames. */
async function filmedStill(file: string): Promise<string[]> {
  const photo = await fromJpeg(readFileSync(file));
  const random = seededRandom(5);
  const out: string[] = [];
  for (let i = 0; i < 15 * fps; i++) out.push(await frameOfBytes(await toJpeg(await perturbedStill(photo, random), 92)));
  return out;
}

const config = loadConfig({
  FACEGATE_HOST: '127.0.0.1',
  FACEGATE_PORT: '0',
  FACEGATE_CLIENT_DIR: 'none',
  FACEGATE_LIVE_MAX_SESSIONS: String(Math.max(8, clients)),
  ...(values.workers ? { FACEGATE_WORKERS: values.workers } : {}),
  ...(process.env.FACEGATE_BACKEND ? { FACEGATE_BACKEND: process.env.FACEGATE_BACKEND } : {}),
});
const server = await startServer(config, { logger: createLogger('warn') });
await server.ready;

interface ClientStats {
  sent: number;
  results: number;
  latencies: number[];
  dropped: number;
  matches: number;
  seconds: number;
}

async function runClient(): Promise<ClientStats> {
  const ws = wsClient(server.url);
  const started = await once<{ startLiveSession: { id: string } }>(ws, challenge ? START_CHALLENGE : START_LIVE, { ref: reference });
  if (!started.data) throw new Error(JSON.stringify(started.errors));
  const id = started.data.startLiveSession.id;
  const live = subscribeLive(ws, id);
  // warm-up: one frame through, not counted
  await once(ws, SUBMIT, { id, frame: frames[0] });
  await live.until((f) => f.length >= 1);
  const skip = live.frames.length;
  const dropBase = live.frames.at(-1)!.dropped;
  let sent = 0;
  const end = Date.now() + seconds * 1000;
  const interval = 1000 / fps;
  let next = Date.now();
  let lastSequence = 0;
  const began = Date.now();
  while (Date.now() < end) {
    const receipt = await once<{ submitFrame: { sequence: number } }>(ws, SUBMIT, { id, frame: frames[sent % frames.length] });
    if (!receipt.data && challenge) break; // the challenge ended its session
    lastSequence = receipt.data?.submitFrame.sequence ?? lastSequence;
    sent++;
    next += interval;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  const elapsed = (Date.now() - began) / 1000;
  await live.until((f) => f.some((r) => r.sequence === lastSequence), 10_000).catch(() => undefined);
  const measured = live.frames.slice(skip);
  live.dispose();
  await ws.dispose();
  return {
    sent,
    results: measured.length,
    latencies: measured.map((r) => r.latencyMs),
    dropped: (measured.at(-1)?.dropped ?? dropBase) - dropBase,
    matches: measured.filter((r) => r.match).length,
    seconds: elapsed,
  };
}

const t0 = performance.now();
const stats = await Promise.all(Array.from({ length: clients }, runClient));
const wall = (performance.now() - t0) / 1000;
await server.stop('bench done');

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! : NaN;
};
console.log(`bench:live${challenge ? ' --challenge' : ''}: ${clients} client(s), 640x480 JPEG frames at ${fps} fps for ${seconds} s; ${config.pool.workers} workers, backend ${server.pool.info?.backend}`);
console.log(`machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores; frames from ${hasLfw ? `LFW ${person}` : 'a sample photo'}; live min face ${config.live.minFaceSize} px\n`);
console.log('| client | sent | processed | processed/s | dropped | match | latency p50 ms | p95 ms |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
stats.forEach((s, i) => {
  console.log(`| ${i + 1} | ${s.sent} | ${s.results} | ${(s.results / (challenge ? s.seconds : wall)).toFixed(1)} | ${s.dropped} | ${s.matches}/${s.results} | ${q(s.latencies, 0.5).toFixed(0)} | ${q(s.latencies, 0.95).toFixed(0)} |`);
});
process.exit(0);
