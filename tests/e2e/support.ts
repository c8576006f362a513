/**
 * End-to-end test support: build the client, start a real facegate server on a free port serving it,
 * drive Debian's Chromium with playwright-core (fresh profile, fake camera), and read canvas pixels.
 *
 * The server runs from source (`node --import tsx server/main.ts`) so the test always exercises the code
 * in the tree; FACEGATE_E2E_SERVER=dist runs `dist/server/main.js` (what `npm start` runs) instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import sharp from 'sharp';
import { repoRoot } from '../support/fixtures.js';

export const CHROMIUM = process.env.FACEGATE_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const chromiumSkipReason = `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set FACEGATE_CHROMIUM): skipping browser tests`;

/** Screenshots and server logs of the e2e run (git-ignored). */
export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'e2e');

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `facegate-${prefix}-`));
}

function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

/** `vite build` of the client into a fresh directory; resolves to it. */
export async function buildClient(): Promise<string> {
  const outDir = tempDir('client');
  await run(process.execPath, [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'client/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: repoRoot,
    timeoutMs: 120_000,
  });
  if (!existsSync(path.join(outDir, 'index.html'))) throw new Error(`vite build wrote no index.html to ${outDir}`);
  return outDir;
}

export interface TestServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts facegate on 127.0.0.1 with a free port, serving `clientDir`; resolves once /readyz says the
 * models are loaded. Its JSON log goes to test-artifacts/e2e/server.log.
 */
export async function startServer(clientDir: string, env: Record<string, string> = {}): Promise<TestServer> {
  mkdirSync(artifactsDir, { recursive: true });
  const fromDist = process.env.FACEGATE_E2E_SERVER === 'dist';
  const entry = fromDist ? ['dist/server/main.js'] : ['--import', 'tsx', 'server/main.ts'];
  if (fromDist && !existsSync(path.join(repoRoot, 'dist/server/main.js'))) throw new Error('dist/server/main.js is missing: run `npm run build:server` first');
  // the gallery's SQLite file goes to a directory of this server's own, never the repository's data/
  const ownDataDir = env.FACEGATE_DATA_DIR === undefined ? tempDir('e2e-data') : null;
  const child: ChildProcess = spawn(process.execPath, entry, {
    cwd: repoRoot,
    env: {
      ...process.env,
      FACEGATE_HOST: '127.0.0.1',
      FACEGATE_PORT: '0',
      FACEGATE_WORKERS: '2',
      FACEGATE_CLIENT_DIR: clientDir,
      FACEGATE_LOG_LEVEL: 'info',
      ...(ownDataDir ? { FACEGATE_DATA_DIR: ownDataDir } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(artifactsDir, 'server.log'));
  child.stderr?.pipe(log);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the server did not log its URL within 60 s (see test-artifacts/e2e/server.log)')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { url?: unknown };
          if (typeof entry.url === 'string' && entry.url.startsWith('http')) {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {
          // not JSON: ignore
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening (see test-artifacts/e2e/server.log)`));
    });
  });

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error('the server exited while loading its models (see test-artifacts/e2e/server.log)');
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the server was not ready within 120 s');
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitedPromise;
      clearTimeout(timer);
      log.end();
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A 640x480 YUV4MPEG2 (I420) clip for Chromium's fake camera: the photo scaled to 480 px high, centred
 * on grey. A few identical frames; Chromium loops the file.
 */
export async function makeY4m(imagePath: string, outPath: string, frames = 3): Promise<string> {
  const frame = await y4mFrame(imagePath);
  writeFileSync(outPath, Buffer.concat([Y4M_HEADER, ...Array.from({ length: frames }, () => frame)]));
  return outPath;
}

/** A clip of different pictures (file paths or encoded images), one frame each, looped by Chromium. */
export async function makeY4mClip(images: ReadonlyArray<string | Buffer>, outPath: string): Promise<string> {
  const frames = [];
  for (const image of images) frames.push(await y4mFrame(image));
  writeFileSync(outPath, Buffer.concat([Y4M_HEADER, ...frames]));
  return outPath;
}

const Y4M_HEADER = Buffer.from('YUV4MPEG2 W640 H480 F15:1 Ip A1:1 C420jpeg\n');

async function y4mFrame(image: string | Buffer): Promise<Buffer> {
  const W = 640;
  const H = 480;
  const face = await sharp(image).resize({ height: H, width: H, fit: 'contain', background: '#808080' }).toBuffer();
  const { data } = await sharp({ create: { width: W, height: H, channels: 3, background: '#808080' } })
    .composite([{ input: face, left: (W - H) / 2, top: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const y = Buffer.alloc(W * H);
  const u = Buffer.alloc((W / 2) * (H / 2));
  const v = Buffer.alloc((W / 2) * (H / 2));
  // BT.601, studio range: what Chromium assumes for I420 from a y4m file.
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = (j * W + i) * 3;
      const r = data[k]! / 255;
      const g = data[k + 1]! / 255;
      const b = data[k + 2]! / 255;
      y[j * W + i] = Math.round(16 + 65.481 * r + 128.553 * g + 24.966 * b);
    }
  }
  for (let j = 0; j < H / 2; j++) {
    for (let i = 0; i < W / 2; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const k = ((2 * j + dy) * W + 2 * i + dx) * 3;
        r += data[k]! / 255 / 4;
        g += data[k + 1]! / 255 / 4;
        b += data[k + 2]! / 255 / 4;
      }
      u[j * (W / 2) + i] = Math.round(128 - 37.797 * r - 74.203 * g + 112 * b);
      v[j * (W / 2) + i] = Math.round(128 + 112 * r - 93.786 * g - 18.214 * b);
    }
  }
  return Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
}

export interface Browser {
  context: BrowserContext;
  /** Console errors and uncaught page errors seen so far, from every page. */
  errors: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile; `fakeVideo` feeds the fake camera (permission granted). */
export async function launchBrowser(options: { fakeVideo?: string } = {}): Promise<Browser> {
  const userDataDir = tempDir('chromium');
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (options.fakeVideo) {
    args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${options.fakeVideo}`);
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1200, height: 900 },
  });
  const errors: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(`console.error on ${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught on ${page.url()}: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    errors,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The built client on a fresh server, and a Chromium whose fake camera films `fakeVideo`, with one page open. */
export async function openClient(fakeVideo: string, env: Record<string, string> = {}): Promise<{ server: TestServer; browser: Browser; page: Page }> {
  const clientDir = await buildClient();
  const [server, browser] = await Promise.all([startServer(clientDir, env), launchBrowser({ fakeVideo })]);
  return { server, browser, page: await browser.newPage() };
}

/** Closes what openClient opened; either may be missing when the suite's setup failed. */
export async function closeClient(server: TestServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await server?.stop();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export type RGB = [number, number, number];

export function hexToRgb(hex: string): RGB {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Pixels of a canvas (by CSS selector) at the given canvas coordinates. */
export async function canvasPixels(page: Page, selector: string, points: ReadonlyArray<readonly [number, number]>): Promise<{ width: number; height: number; pixels: RGB[] }> {
  return page.$eval(
    selector,
    (el, pts) => {
      const canvas = el as HTMLCanvasElement;
      const ctx = canvas.getContext('2d')!;
      const pixels = pts.map(([x, y]) => {
        const d = ctx.getImageData(x, y, 1, 1).data;
        return [d[0]!, d[1]!, d[2]!] as [number, number, number];
      });
      return { width: canvas.width, height: canvas.height, pixels };
    },
    points as Array<readonly [number, number]>,
  );
}

export function close(a: RGB, b: RGB, tolerance = 3): boolean {
  return Math.abs(a[0] - b[0]) <= tolerance && Math.abs(a[1] - b[1]) <= tolerance && Math.abs(a[2] - b[2]) <= tolerance;
}
