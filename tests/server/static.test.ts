/** The built web client is served from one directory, safely, with SPA fallback. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticClient } from '../../server/static.js';

let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'facegate-client-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>facegate</title>');
  writeFileSync(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(path.join(os.tmpdir(), 'facegate-secret.txt'), 'secret');
  const handler = staticClient(dir)!;
  server = createServer((req, res) => {
    void handler(req, res).then((served) => {
      if (!served) res.writeHead(404).end('next handler');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  rmSync(path.join(os.tmpdir(), 'facegate-secret.txt'), { force: true });
});

describe('staticClient', () => {
  it('is off when the directory has no index.html', () => {
    expect(staticClient(null)).toBeNull();
    expect(staticClient(path.join(dir, 'assets'))).toBeNull();
  });

  it('serves index.html at / and for client-side routes, hashed assets with a long cache', async () => {
    const root = await fetch(`${url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    expect(root.headers.get('cache-control')).toBe('no-cache');
    expect(await root.text()).toContain('facegate');
    expect(await (await fetch(`${url}/verify/live`)).text()).toContain('facegate');
    const asset = await fetch(`${url}/assets/app-1234.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('leaves missing files and paths outside the directory to the next handler', async () => {
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${url}/..%2Ffacegate-secret.txt`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/facegate-secret.txt`)).status).toBe(404);
    const post = await fetch(`${url}/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(404);
  });
});
