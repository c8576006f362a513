/**
 * Vite config of the web client. `npm run build:client` writes `dist/client`, which the server serves at
 * `/` (server/config.ts, FACEGATE_CLIENT_DIR). `npm run dev` serves the app with hot reload and proxies
 * the API (HTTP and WebSocket on /graphql, plus the ops endpoints) to a server on port 4000, or
 * FACEGATE_DEV_API when set (e.g. http://127.0.0.1:4100).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const api = process.env.FACEGATE_DEV_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [solid()],
  build: {
    outDir: fileURLToPath(new URL('../dist/client', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Small enough that one hashed bundle is best: no chunk waterfall, one request.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    proxy: {
      // The server refuses WebSocket upgrades from a foreign origin: present the proxied socket as its own.
      '/graphql': { target: api, ws: true, changeOrigin: true, headers: { origin: api } },
      '/healthz': { target: api, changeOrigin: true },
      '/readyz': { target: api, changeOrigin: true },
    },
  },
  preview: { port: 4173 },
});
